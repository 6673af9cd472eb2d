export {
  type DecisionOutcome,
  DecisionService,
  type DecisionServiceOptions,
  type Invalidation,
  invalidationSchema,
  POLICY_INVALIDATE_CHANNEL,
} from './service.ts';
