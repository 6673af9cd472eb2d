export { resolveDemoPassword, writeDemoCredentials } from './credentials.ts';
export { type DemoData, generateDemoData } from './generate.ts';
export { DEMO_SEED_NAME, type SeedResult, seedDemo, TIME_STRIP_SOURCE_NAME } from './seed.ts';
