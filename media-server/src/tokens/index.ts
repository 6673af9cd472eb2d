export { requireCamera, type VerifyOptions, verifyStreamToken } from './verify.ts';
