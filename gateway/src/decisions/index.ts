export {
  type DecisionOutcome,
  DecisionService,
  type DecisionServiceOptions,
  type Invalidation,
  invalidationSchema,
} from './service.ts';
