/** What a phase asks of the queue: finish the job, or run it again after a delay without holding a slot. */
export type Step = { readonly kind: 'done' } | { readonly kind: 'later'; readonly delayMs: number };

export const DONE: Step = { kind: 'done' };
export const later = (delayMs: number): Step => ({ kind: 'later', delayMs: Math.max(0, Math.round(delayMs)) });
