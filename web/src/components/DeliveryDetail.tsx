import { useEffect, useState } from 'preact/hooks';
import type { Api, Delivery, ReplayAnswer } from '../api.js';
import type { Bus } from '../bus.js';
import { clock } from '../format.js';
import { hrefOf } from '../route.js';
import { Badge } from './Badge.js';

const READ_FIELDS = ['repository', 'image', 'branch', 'tag', 'commit', 'digest', 'pushedAt', 'event'] as const;

/** One delivery: why it did or did not deploy, what the relay read from it, and a replay by today's rules. */
export function DeliveryDetail(props: { id: string; source: string; client: Api; bus: Bus }) {
  const { id, source, client } = props;
  const [delivery, setDelivery] = useState<Delivery | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [replay, setReplay] = useState<ReplayAnswer | { refused: string } | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    client
      .delivery(id, source)
      .then(setDelivery)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [id, source]);

  const doReplay = async () => {
    setBusy(true);
    try {
      setReplay(await client.replay(id, source));
    } catch (e) {
      setReplay({ refused: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };

  if (error) {
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  }
  if (!delivery) return <p aria-busy="true">Loading…</p>;
  const d = delivery;
  return (
    <article aria-labelledby="delivery-title" data-delivery={d.id} data-outcome={d.outcome}>
      <p>
        <a href={hrefOf({ view: 'deliveries' })}>← All deliveries</a>
      </p>
      <h2 id="delivery-title">
        Delivery <code>{d.id}</code> <Badge status={d.outcome} />
      </h2>
      {d.outcome === 'ignored' && (
        <p class="reason reason-ignored" data-testid="ignored-reason">
          <strong>Nothing was deployed:</strong> {d.reason}
        </p>
      )}
      <dl class="facts">
        <dt>Source</dt>
        <dd>
          {d.source} ({d.sourceType}), event <code>{d.event}</code>
        </dd>
        <dt>Received</dt>
        <dd>
          <time dateTime={d.receivedAt}>{clock(d.receivedAt)}</time>
        </dd>
        {d.duplicateOf && (
          <>
            <dt>Repeat of</dt>
            <dd>
              <a href={hrefOf({ view: 'delivery', source: d.source, id: d.duplicateOf })}>
                <code>{d.duplicateOf}</code>
              </a>
            </dd>
          </>
        )}
        {d.replayOf && (
          <>
            <dt>Replay of</dt>
            <dd>
              <a href={hrefOf({ view: 'delivery', source: d.source, id: d.replayOf })}>
                <code>{d.replayOf}</code>
              </a>
            </dd>
          </>
        )}
      </dl>
      {d.deploymentIds.length > 0 && (
        <section aria-labelledby="queued-title">
          <h3 id="queued-title">Deployments it queued</h3>
          <ul>
            {d.deploymentIds.map((deploymentId) => (
              <li key={deploymentId}>
                <a href={hrefOf({ view: 'deployment', id: deploymentId })}>
                  <code>{deploymentId}</code>
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}
      {d.read.length > 0 && (
        <section aria-labelledby="read-title">
          <h3 id="read-title">What the relay read</h3>
          <table class="list">
            <thead>
              <tr>
                {READ_FIELDS.map((f) => (
                  <th scope="col">{f}</th>
                ))}
                <th scope="col">changed files</th>
              </tr>
            </thead>
            <tbody>
              {d.read.map((r, i) => (
                <tr key={i}>
                  {READ_FIELDS.map((f) => (
                    <td data-label={f}>{r[f] ?? ''}</td>
                  ))}
                  <td data-label="changed files">{r.paths?.join(', ') ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {d.skipped && d.skipped.length > 0 && (
        <section aria-labelledby="skipped-title">
          <h3 id="skipped-title">Skipped</h3>
          <ul>
            {d.skipped.map((s) => (
              <li>{s}</li>
            ))}
          </ul>
        </section>
      )}
      {d.read.length > 0 && !d.redeployOf && (
        <p>
          <button type="button" onClick={() => void doReplay()} disabled={busy}>
            Replay with today's rules
          </button>
        </p>
      )}
      {replay && (
        <div class="notice" role="status" data-testid="replay-result">
          {'refused' in replay ? (
            <p>Replay refused: {replay.refused}</p>
          ) : replay.deployments.length === 0 ? (
            <p>Replayed; still nothing to deploy: {replay.ignored}</p>
          ) : (
            <p>
              Replayed; queued{' '}
              {replay.deployments.map((dep) => (
                <a href={hrefOf({ view: 'deployment', id: dep.id })}>
                  <code>{dep.id}</code>
                </a>
              ))}
            </p>
          )}
        </div>
      )}
    </article>
  );
}
