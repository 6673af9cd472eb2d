/** The services share one AppError (protocol): same codes, same HTTP statuses. */
export { AppError } from '@wall/protocol';
