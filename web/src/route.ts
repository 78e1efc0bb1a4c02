import { useEffect, useState } from 'preact/hooks';

/** Which view the URL's hash names; links to `#/deployments/<id>` (from notifications, commit statuses) open it directly. */
export type Route = { view: 'deployments' } | { view: 'deliveries' } | { view: 'deployment'; id: string } | { view: 'delivery'; source: string; id: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'deployments' && parts[1]) return { view: 'deployment', id: parts[1] };
  if (parts[0] === 'deliveries' && parts[1] && parts[2]) return { view: 'delivery', source: parts[1], id: parts.slice(2).join('/') };
  if (parts[0] === 'deliveries') return { view: 'deliveries' };
  return { view: 'deployments' };
}

export const hrefOf = (route: Route): string => {
  switch (route.view) {
    case 'deployment':
      return `#/deployments/${encodeURIComponent(route.id)}`;
    case 'delivery':
      return `#/deliveries/${encodeURIComponent(route.source)}/${encodeURIComponent(route.id)}`;
    default:
      return `#/${route.view}`;
  }
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
