/**
 * Runs the fake Qovery as a standalone server for trying the relay by hand:
 *   npm run fake-qovery        (prints its URL; every request it receives is logged)
 * Point QOVERY_API_URL at it; any QOVERY_API_TOKEN is accepted unless FAKE_QOVERY_TOKEN is set.
 */
import { startFakeQovery } from './fake-qovery.js';

const fake = await startFakeQovery({
  ...(process.env.FAKE_QOVERY_TOKEN && { token: process.env.FAKE_QOVERY_TOKEN }),
  ...(process.env.FAKE_QOVERY_PORT && { port: Number(process.env.FAKE_QOVERY_PORT) }),
});
console.log(`fake Qovery listening on ${fake.url}`);
let seen = 0;
setInterval(() => {
  for (const request of fake.requests.slice(seen)) {
    console.log(
      `${new Date(request.at).toISOString()} ${request.method} ${request.path}${Object.keys(request.query).length ? `?${new URLSearchParams(request.query)}` : ''} ${request.body ? JSON.stringify(request.body) : ''}`,
    );
  }
  seen = fake.requests.length;
}, 200);
const stop = () => void fake.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
