export { signStreamToken } from './sign.ts';
export { requireCamera, type VerifyOptions, verifyStreamToken } from './verify.ts';
