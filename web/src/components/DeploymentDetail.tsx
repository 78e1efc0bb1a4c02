import { useEffect, useState } from 'preact/hooks';
import type { Api, DeploymentDetail as Detail } from '../api.js';
import type { Bus } from '../bus.js';
import { between, clock } from '../format.js';
import { hrefOf } from '../route.js';
import { Badge } from './Badge.js';
import { versionOf } from './DeploymentsView.js';

const REDEPLOYABLE = new Set(['failed', 'timed_out']);

/** One deployment as its timeline: every transition with the time since the one before. */
export function DeploymentDetail(props: { id: string; client: Api; bus: Bus }) {
  const { id, client, bus } = props;
  const [deployment, setDeployment] = useState<Detail | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<{ text: string; href?: string } | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const load = () =>
      client
        .deployment(id)
        .then((d) => {
          setDeployment(d);
          setError(undefined);
        })
        .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    void load();
    return bus.subscribe((message) => {
      if (message.kind === 'reset') void load();
      else if (message.event.type === 'deployment' ? message.event.id === id : message.event.type === 'notification' && message.event.deploymentId === id)
        void load();
    });
  }, [id]);

  const redeploy = async () => {
    setBusy(true);
    try {
      const answer = await client.redeploy(id);
      const next = answer.deployments[0];
      setNotice(next ? { text: `Re-drive queued as ${next.id}.`, href: hrefOf({ view: 'deployment', id: next.id }) } : { text: 'Re-drive queued.' });
    } catch (e) {
      setNotice({ text: `Re-drive refused: ${e instanceof Error ? e.message : String(e)}` });
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
  if (!deployment) return <p aria-busy="true">Loading…</p>;
  const d = deployment;
  return (
    <article aria-labelledby="deployment-title" data-deployment={d.id} data-status={d.status}>
      <p>
        <a href={hrefOf({ view: 'deployments' })}>← All deployments</a>
      </p>
      <h2 id="deployment-title">
        Deployment <code>{d.id}</code> <Badge status={d.status} />
      </h2>
      {d.reason && (
        <p class={`reason reason-${d.status}`} data-testid="deployment-reason">
          {d.reason}
        </p>
      )}
      <dl class="facts">
        <dt>Route</dt>
        <dd>{d.route}</dd>
        <dt>Target</dt>
        <dd>
          {d.target.kind} <code>{d.target.id}</code>
        </dd>
        <dt>Version</dt>
        <dd>
          <code>{versionOf(d)}</code>
        </dd>
        <dt>Delivery</dt>
        <dd>
          <a href={hrefOf({ view: 'delivery', source: d.source, id: d.deliveryId })}>
            {d.source} / <code>{d.deliveryId}</code>
          </a>
        </dd>
        {d.redeployOf && (
          <>
            <dt>Re-drive of</dt>
            <dd>
              <a href={hrefOf({ view: 'deployment', id: d.redeployOf })}>
                <code>{d.redeployOf}</code>
              </a>
            </dd>
          </>
        )}
        {d.supersededBy && (
          <>
            <dt>Superseded by</dt>
            <dd>
              <a href={hrefOf({ view: 'deployment', id: d.supersededBy })}>
                <code>{d.supersededBy}</code>
              </a>
            </dd>
          </>
        )}
        <dt>Attempts</dt>
        <dd>{d.attempts}</dd>
        {d.dryRun && (
          <>
            <dt>Mode</dt>
            <dd>dry run: nothing was sent to Qovery</dd>
          </>
        )}
      </dl>
      {REDEPLOYABLE.has(d.status) && (
        <p>
          <button type="button" onClick={() => void redeploy()} disabled={busy}>
            Re-drive this deployment
          </button>
        </p>
      )}
      {notice && (
        <p class="notice" role="status">
          {notice.text} {notice.href && <a href={notice.href}>Open it</a>}
        </p>
      )}
      {d.target.kind === 'environment' && (
        <section aria-labelledby="services-title">
          <h3 id="services-title">Services in this release</h3>
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Service</th>
                <th scope="col">Last state from Qovery</th>
              </tr>
            </thead>
            <tbody>
              {d.target.services.map((s) => (
                <tr key={`${s.kind}:${s.id}`}>
                  <td data-label="Kind">{s.kind}</td>
                  <td data-label="Service">
                    <code>{s.id}</code>
                  </td>
                  <td data-label="State">{s.state ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <section aria-labelledby="timeline-title">
        <h3 id="timeline-title">Timeline</h3>
        <ol class="timeline">
          {d.transitions.map((t, i) => {
            const previous = d.transitions[i - 1];
            return (
              <li key={i} data-status={t.status}>
                <div class="step">
                  <Badge status={t.status} />
                  <time dateTime={t.at}>{clock(t.at)}</time>
                  {previous && <span class="gap">+{between(previous.at, t.at)}</span>}
                </div>
                <div class="step-facts">
                  {t.qoveryState && <span>Qovery: {t.qoveryState}</span>}
                  {t.attempt !== undefined && <span>attempt {t.attempt}</span>}
                  {t.httpStatus !== undefined && <span>HTTP {t.httpStatus}</span>}
                </div>
                {t.detail && <p class="detail">{t.detail}</p>}
              </li>
            );
          })}
        </ol>
      </section>
      {d.notifications.length > 0 && (
        <section aria-labelledby="notifications-title">
          <h3 id="notifications-title">Notifications and commit statuses</h3>
          <table class="list" data-testid="notifications">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">To</th>
                <th scope="col">About</th>
                <th scope="col">Result</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {d.notifications.map((n, i) => (
                <tr key={i} data-result={n.result}>
                  <td data-label="Time">
                    <time dateTime={n.at}>{clock(n.at)}</time>
                  </td>
                  <td data-label="To">
                    {n.kind} <code>{n.name}</code>
                  </td>
                  <td data-label="About">{n.status.replace('_', ' ')}</td>
                  <td data-label="Result">
                    <span class={`result result-${n.result}`}>{n.result}</span> (attempt {n.attempt}
                    {n.httpStatus !== undefined && `, HTTP ${n.httpStatus}`})
                  </td>
                  <td data-label="Detail">{n.detail ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </article>
  );
}
