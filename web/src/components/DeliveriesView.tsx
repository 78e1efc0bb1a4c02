import { useState } from 'preact/hooks';
import { DELIVERY_OUTCOMES } from '../../../src/history/model.js';
import type { Api, Delivery, DeliveryFilters } from '../api.js';
import type { Bus } from '../bus.js';
import { clock, toIso } from '../format.js';
import { usePaged } from '../paged.js';
import { hrefOf } from '../route.js';
import { Badge } from './Badge.js';
import { Field, TimeFields } from './Fields.js';

function matches(d: Delivery, f: DeliveryFilters): boolean {
  const received = Date.parse(d.receivedAt);
  return (
    (!f.source || d.source === f.source) &&
    (!f.outcome || d.outcome === f.outcome) &&
    (!f.since || received >= Date.parse(f.since)) &&
    (!f.until || received <= Date.parse(f.until))
  );
}

/** What a delivery was about, in a few words: the repository or image, and the branch, tag or commit. */
export function summaryOf(d: Delivery): string {
  const first = d.read[0];
  if (!first) return d.event;
  const what = first.repository ?? first.image ?? '';
  const where = first.tag ?? first.branch ?? (first.commit ? first.commit.slice(0, 12) : '');
  const more = d.read.length > 1 ? ` (+${d.read.length - 1})` : '';
  return `${what}${where ? ` @ ${where}` : ''}${more}`;
}

export function DeliveriesView(props: { client: Api; bus: Bus }) {
  const { client, bus } = props;
  const [filters, setFilters] = useState<DeliveryFilters>({});
  const list = usePaged<Delivery>({
    load: (cursor) => client.deliveries(filters, cursor),
    deps: [JSON.stringify(filters)],
    bus,
    onLive(message, update) {
      if (message.kind !== 'event' || message.event.type !== 'delivery') return;
      const { id, source } = message.event;
      void client
        .delivery(id, source)
        .then((fresh) =>
          update((items) =>
            matches(fresh, filters) && !items.some((d) => d.id === id && d.source === source)
              ? [fresh, ...items].sort((a, b) => b.receivedAt.localeCompare(a.receivedAt))
              : items,
          ),
        )
        .catch(() => undefined);
    },
  });
  const set = (key: keyof DeliveryFilters) => (value: string) => setFilters((f) => ({ ...f, [key]: value || undefined }));

  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      <p class="hint">Every webhook request the relay stored. An ignored one says why nothing was deployed.</p>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter deliveries">
        <Field label="Source" id="f-dsource">
          <input id="f-dsource" value={filters.source ?? ''} onChange={(e) => set('source')(e.currentTarget.value.trim())} />
        </Field>
        <Field label="Outcome" id="f-outcome">
          <select id="f-outcome" value={filters.outcome ?? ''} onChange={(e) => set('outcome')(e.currentTarget.value)}>
            <option value="">any</option>
            {DELIVERY_OUTCOMES.map((o) => (
              <option value={o}>{o}</option>
            ))}
          </select>
        </Field>
        <TimeFields onSince={(v) => set('since')(toIso(v) ?? '')} onUntil={(v) => set('until')(toIso(v) ?? '')} />
      </form>
      {list.error && (
        <p class="error" role="alert">
          {list.error}
        </p>
      )}
      <table class="list" aria-label="Deliveries, newest first">
        <thead>
          <tr>
            <th scope="col">Outcome</th>
            <th scope="col">Source</th>
            <th scope="col">What</th>
            <th scope="col">Received</th>
            <th scope="col">Why / what it queued</th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((d) => (
            <tr key={`${d.source}/${d.id}`} data-delivery={d.id} data-outcome={d.outcome}>
              <td data-label="Outcome">
                <a href={hrefOf({ view: 'delivery', source: d.source, id: d.id })} aria-label={`Delivery ${d.id}, ${d.outcome}`}>
                  <Badge status={d.outcome} />
                </a>
              </td>
              <td data-label="Source">
                {d.source} <span class="muted">{d.event}</span>
              </td>
              <td data-label="What">{summaryOf(d)}</td>
              <td data-label="Received">
                <time dateTime={d.receivedAt}>{clock(d.receivedAt)}</time>
              </td>
              <td data-label="Why">
                {d.outcome === 'ignored' ? (
                  <strong class="reason reason-ignored">{d.reason}</strong>
                ) : d.outcome === 'duplicate' ? (
                  <span>repeat of {d.duplicateOf}</span>
                ) : (
                  <span>
                    {d.deploymentIds.length} deployment{d.deploymentIds.length === 1 ? '' : 's'}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.loading && list.items.length === 0 && <p class="empty">No deliveries match.</p>}
      {list.nextCursor && (
        <button type="button" onClick={list.more} disabled={list.loading}>
          Load more
        </button>
      )}
    </section>
  );
}
