export { type Db, type DbOptions, openDb, type Queryable } from './db.ts';
export { type Migration, migrate, readMigrations } from './migrate.ts';
