/** Name of the saved state the post step reads. */
export const CLEANUP_STATE = 'cleanup';
