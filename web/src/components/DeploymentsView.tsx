import { useState } from 'preact/hooks';
import { DEPLOYMENT_STATUSES } from '../../../src/history/model.js';
import { DEPLOYMENT_KINDS } from '../../../src/qovery/targets.js';
import type { Api, Deployment, DeploymentFilters } from '../api.js';
import type { Bus } from '../bus.js';
import { clock, shortId, toIso } from '../format.js';
import { usePaged } from '../paged.js';
import { hrefOf } from '../route.js';
import { Badge } from './Badge.js';
import { Field, TimeFields } from './Fields.js';

/** Whether a deployment belongs in a list with these filters: live updates are checked here, as the API would. */
function matches(d: Deployment, f: DeploymentFilters): boolean {
  const created = Date.parse(d.createdAt);
  return (
    (!f.status || d.status === f.status) &&
    (!f.route || d.route === f.route) &&
    (!f.source || d.source === f.source) &&
    (!f.targetKind || d.target.kind === f.targetKind) &&
    (!f.targetId || d.target.id === f.targetId) &&
    (!f.since || created >= Date.parse(f.since)) &&
    (!f.until || created <= Date.parse(f.until))
  );
}

export const versionOf = (d: Pick<Deployment, 'imageTag' | 'gitCommitId'>): string => d.imageTag ?? (d.gitCommitId ? d.gitCommitId.slice(0, 12) : '—');

export function DeploymentsView(props: { client: Api; bus: Bus }) {
  const { client, bus } = props;
  const [filters, setFilters] = useState<DeploymentFilters>({});
  const list = usePaged<Deployment>({
    load: (cursor) => client.deployments(filters, cursor),
    deps: [JSON.stringify(filters)],
    bus,
    onLive(message, update) {
      if (message.kind !== 'event' || message.event.type !== 'deployment') return;
      const { id } = message.event;
      void client
        .deployment(id)
        .then((fresh) =>
          update((items) => {
            const rest = items.filter((d) => d.id !== id);
            if (!matches(fresh, filters)) return rest;
            return [...rest, fresh].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
          }),
        )
        .catch(() => undefined);
    },
  });
  const set = (key: keyof DeploymentFilters) => (value: string) => setFilters((f) => ({ ...f, [key]: value || undefined }));

  return (
    <section aria-labelledby="deployments-title">
      <h2 id="deployments-title">Deployments</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter deployments">
        <Field label="Status" id="f-status">
          <select id="f-status" value={filters.status ?? ''} onChange={(e) => set('status')(e.currentTarget.value)}>
            <option value="">any</option>
            {DEPLOYMENT_STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field label="Route" id="f-route">
          <input id="f-route" value={filters.route ?? ''} onChange={(e) => set('route')(e.currentTarget.value.trim())} />
        </Field>
        <Field label="Source" id="f-source">
          <input id="f-source" value={filters.source ?? ''} onChange={(e) => set('source')(e.currentTarget.value.trim())} />
        </Field>
        <Field label="Target kind" id="f-kind">
          <select id="f-kind" value={filters.targetKind ?? ''} onChange={(e) => set('targetKind')(e.currentTarget.value)}>
            <option value="">any</option>
            {DEPLOYMENT_KINDS.map((k) => (
              <option value={k}>{k}</option>
            ))}
          </select>
        </Field>
        <Field label="Target id" id="f-target">
          <input id="f-target" value={filters.targetId ?? ''} onChange={(e) => set('targetId')(e.currentTarget.value.trim())} />
        </Field>
        <TimeFields onSince={(v) => set('since')(toIso(v) ?? '')} onUntil={(v) => set('until')(toIso(v) ?? '')} />
      </form>
      {filters.targetId && !filters.targetKind && <p class="hint">Choose the target kind too: the API filters by kind and id together.</p>}
      {list.error && (
        <p class="error" role="alert">
          {list.error}
        </p>
      )}
      <table class="list" aria-label="Deployments, newest first">
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Route</th>
            <th scope="col">Target</th>
            <th scope="col">Version</th>
            <th scope="col">Created</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((d) => (
            <tr key={d.id} data-deployment={d.id} data-status={d.status}>
              <td data-label="Status">
                <a href={hrefOf({ view: 'deployment', id: d.id })} aria-label={`Deployment ${d.id}, ${d.status}`}>
                  <Badge status={d.status} />
                </a>
              </td>
              <td data-label="Route">{d.route}</td>
              <td data-label="Target">
                {d.target.kind} <code>{shortId(d.target.id)}</code>
              </td>
              <td data-label="Version">
                <code>{versionOf(d)}</code>
              </td>
              <td data-label="Created">
                <time dateTime={d.createdAt}>{clock(d.createdAt)}</time>
              </td>
              <td data-label="Why">{d.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.loading && list.items.length === 0 && <p class="empty">No deployments match.</p>}
      {list.nextCursor && (
        <button type="button" onClick={list.more} disabled={list.loading}>
          Load more
        </button>
      )}
    </section>
  );
}
