/** Types of test/stack/env.mjs (the one reader of `stack.sh env` and `hosts.sh env`). */
export declare function parseEnv(text: string): Record<string, string>;
export declare function readEnv(script: 'stack' | 'hosts'): Record<string, string>;
