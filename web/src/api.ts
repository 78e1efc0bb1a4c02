import type { z } from 'zod';
import type { deliverySchema, deploymentDetailSchema, deploymentSchema, deploymentSummarySchema } from '../../src/http/schemas.js';

export type Deployment = z.infer<typeof deploymentSchema>;
export type DeploymentDetail = z.infer<typeof deploymentDetailSchema>;
export type Delivery = z.infer<typeof deliverySchema>;
export type DeploymentSummary = z.infer<typeof deploymentSummarySchema>;

export interface Page<K extends string, T> {
  readonly items: T[];
  readonly nextCursor?: string;
  readonly key: K;
}

/** An answer the relay refused, with its `{code, message}`; 401 means the token is wrong or missing. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'deploy-relay:token';

/** The token lives for the browser session only, like the tab: closing it forgets the token. */
export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

export const authHeaders = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

async function call<T>(token: string, method: 'GET' | 'POST', path: string): Promise<T> {
  const response = await fetch(path, { method, headers: authHeaders(token) });
  const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
  if (!response.ok) throw new ApiError(response.status, body.code ?? 'RELAY_ERROR', body.message ?? `${method} ${path} answered ${response.status}`);
  return body as T;
}

const query = (params: Record<string, string | undefined>): string => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : '';
};

export interface DeploymentFilters {
  status?: string;
  route?: string;
  source?: string;
  targetKind?: string;
  targetId?: string;
  since?: string;
  until?: string;
}

export interface DeliveryFilters {
  source?: string;
  outcome?: string;
  since?: string;
  until?: string;
}

export interface ReplayAnswer {
  deliveryId: string;
  replayOf: string;
  deployments: DeploymentSummary[];
  ignored?: string;
}

export interface RedeployAnswer {
  deliveryId: string;
  redeployOf: string;
  deployments: DeploymentSummary[];
}

/** The relay's HTTP API as the page uses it; every call carries the token. */
export function api(token: string) {
  return {
    async deployments(filters: DeploymentFilters, cursor?: string): Promise<{ items: Deployment[]; nextCursor?: string }> {
      const page = await call<{ deployments: Deployment[]; nextCursor?: string }>(token, 'GET', `/deployments${query({ ...filters, limit: '25', cursor })}`);
      return { items: page.deployments, ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }) };
    },
    async deliveries(filters: DeliveryFilters, cursor?: string): Promise<{ items: Delivery[]; nextCursor?: string }> {
      const page = await call<{ deliveries: Delivery[]; nextCursor?: string }>(token, 'GET', `/deliveries${query({ ...filters, limit: '25', cursor })}`);
      return { items: page.deliveries, ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }) };
    },
    deployment: (id: string) => call<DeploymentDetail>(token, 'GET', `/deployments/${encodeURIComponent(id)}`),
    delivery: (id: string, source: string) => call<Delivery>(token, 'GET', `/deliveries/${encodeURIComponent(id)}${query({ source })}`),
    redeploy: (id: string) => call<RedeployAnswer>(token, 'POST', `/deployments/${encodeURIComponent(id)}/redeploy`),
    replay: (id: string, source: string) => call<ReplayAnswer>(token, 'POST', `/deliveries/${encodeURIComponent(id)}/replay${query({ source })}`),
  };
}

export type Api = ReturnType<typeof api>;
