/**
 * What a phase asks of the queue: finish the job, run it again after a delay without holding a
 * slot, or hand the deployment to following (Qovery has it) and finish the job.
 */
export type Step = { readonly kind: 'done' } | { readonly kind: 'later'; readonly delayMs: number } | { readonly kind: 'follow' };

export const DONE: Step = { kind: 'done' };
export const FOLLOW: Step = { kind: 'follow' };
export const later = (delayMs: number): Step => ({ kind: 'later', delayMs: Math.max(0, Math.round(delayMs)) });
