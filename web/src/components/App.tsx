import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, tokenStore, type Api } from '../api.js';
import { createBus, type Bus } from '../bus.js';
import { connectLive, type LiveState } from '../live.js';
import { hrefOf, useRoute } from '../route.js';
import { DeliveriesView } from './DeliveriesView.js';
import { DeliveryDetail } from './DeliveryDetail.js';
import { DeploymentDetail } from './DeploymentDetail.js';
import { DeploymentsView } from './DeploymentsView.js';
import { TokenForm } from './TokenForm.js';

const LIVE_LABEL: Record<LiveState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  refused: 'Live updates refused',
};

export function App() {
  const [token, setToken] = useState<string | null>(() => tokenStore.get());
  const [refusal, setRefusal] = useState<string | undefined>();
  const [checked, setChecked] = useState(false);
  const [live, setLive] = useState<LiveState>('connecting');
  const route = useRoute();
  const client = useMemo(() => (token ? api(token) : undefined), [token]);
  const bus = useMemo(() => createBus(), []);

  const forget = (reason?: string) => {
    tokenStore.clear();
    setToken(null);
    setChecked(false);
    setRefusal(reason);
  };

  // One cheap call proves the token before anything is shown.
  useEffect(() => {
    if (!client) return;
    let cancelled = false;
    client
      .deployments({})
      .then(() => !cancelled && setChecked(true))
      .catch((error: unknown) => {
        if (cancelled) return;
        if (error instanceof ApiError && error.status === 401) forget(`The relay refused that token: ${error.message}`);
        else setChecked(true);
      });
    return () => {
      cancelled = true;
    };
  }, [client]);

  useEffect(() => {
    if (!token || !checked) return;
    return connectLive(token, {
      onEvent: (event) => bus.publish({ kind: 'event', event }),
      onReset: () => bus.publish({ kind: 'reset' }),
      onState: setLive,
    });
  }, [token, checked]);

  if (!token || !client) {
    return (
      <main class="narrow">
        <h1>deploy-relay</h1>
        <TokenForm
          {...(refusal !== undefined && { refusal })}
          onToken={(value) => {
            tokenStore.set(value);
            setRefusal(undefined);
            setToken(value);
          }}
        />
      </main>
    );
  }
  if (!checked)
    return (
      <main class="narrow" aria-busy="true">
        Checking the token…
      </main>
    );

  const tab = route.view === 'deliveries' || route.view === 'delivery' ? 'deliveries' : 'deployments';
  return (
    <>
      <header class="bar">
        <h1>deploy-relay</h1>
        <nav aria-label="Views">
          <a href={hrefOf({ view: 'deployments' })} aria-current={tab === 'deployments' ? 'page' : undefined}>
            Deployments
          </a>
          <a href={hrefOf({ view: 'deliveries' })} aria-current={tab === 'deliveries' ? 'page' : undefined}>
            Deliveries
          </a>
        </nav>
        <span class={`live live-${live}`} role="status" aria-live="polite" data-testid="live-state">
          {LIVE_LABEL[live]}
        </span>
        <button type="button" class="quiet" onClick={() => forget()}>
          Forget token
        </button>
      </header>
      <main>
        <View route={route} client={client} bus={bus} />
      </main>
    </>
  );
}

function View(props: { route: ReturnType<typeof useRoute>; client: Api; bus: Bus }) {
  const { route, client, bus } = props;
  switch (route.view) {
    case 'deployment':
      return <DeploymentDetail key={route.id} id={route.id} client={client} bus={bus} />;
    case 'delivery':
      return <DeliveryDetail key={`${route.source}/${route.id}`} id={route.id} source={route.source} client={client} bus={bus} />;
    case 'deliveries':
      return <DeliveriesView client={client} bus={bus} />;
    default:
      return <DeploymentsView client={client} bus={bus} />;
  }
}
