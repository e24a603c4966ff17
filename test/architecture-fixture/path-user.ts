import { join } from 'node:path';

export const joined = join('a', 'b');
