import { useState } from 'react';
import { useClient, useQuery } from 'urql';

import { firstError } from './api';

const ADMIN = `
query Admin {
  webhookEndpoints(first: 50) {
    nodes {
      id url status statusReason failingSince eventTypes
      deliveries(first: 20) {
        nodes { id status attemptCount lastStatusCode lastError deliveredAt createdAt event { id type } }
      }
    }
  }
  integrations(first: 50) {
    nodes {
      id name provider status receivePath
      syncStatus { received pending applied skipped failed lastAppliedAt lastFailureAt lastError }
    }
  }
  apiKeys(first: 100) {
    nodes { id name prefix scopes status createdAt expiresAt lastUsedAt }
  }
}`;

const REDELIVER = `
mutation Redeliver($input: WebhookDeliveryRedeliverInput!) {
  webhookDeliveryRedeliver(input: $input) { webhookDelivery { id status } errors { field code message } }
}`;

const REVOKE = `
mutation Revoke($input: ApiKeyRevokeInput!) {
  apiKeyRevoke(input: $input) { apiKey { id status } errors { field code message } }
}`;

interface Delivery {
  id: string;
  status: string;
  attemptCount: number;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
  event: { id: string; type: string };
}

interface AdminData {
  webhookEndpoints: {
    nodes: {
      id: string;
      url: string;
      status: string;
      statusReason: string | null;
      failingSince: string | null;
      eventTypes: string[];
      deliveries: { nodes: Delivery[] };
    }[];
  };
  integrations: {
    nodes: {
      id: string;
      name: string;
      provider: string;
      status: string;
      receivePath: string;
      syncStatus: {
        received: number; pending: number; applied: number; skipped: number; failed: number;
        lastAppliedAt: string | null; lastFailureAt: string | null; lastError: string | null;
      };
    }[];
  };
  apiKeys: {
    nodes: { id: string; name: string; prefix: string; scopes: string[]; status: string; createdAt: string; expiresAt: string | null; lastUsedAt: string | null }[];
  };
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** Administrators: webhook endpoints with their delivery log (and redelivery), integrations
 * with their sync status, and API keys (revocation). */
export function Admin() {
  const client = useClient();
  const [{ data, error }, reload] = useQuery<AdminData>({ query: ADMIN, requestPolicy: 'cache-and-network' });
  const [status, setStatus] = useState<{ kind: 'alert' | 'status'; text: string } | null>(null);

  const act = async (query: string, id: string, done: string, field: string) => {
    const result = await client.mutation(query, { input: { id } }).toPromise();
    const refused = result.error?.message ?? firstError(result.data?.[field]);
    setStatus(refused ? { kind: 'alert', text: refused } : { kind: 'status', text: done });
    reload({ requestPolicy: 'network-only' });
  };

  if (error) return <p role="alert">{error.message}</p>;
  if (!data) return <p aria-busy="true">Loading…</p>;
  return (
    <section aria-labelledby="admin-title" className="admin">
      <h1 id="admin-title">Administration</h1>
      <p role={status?.kind ?? 'status'} className={status?.kind === 'alert' ? 'error' : 'note'} aria-live="polite">
        {status?.text}
      </p>

      <section aria-labelledby="webhooks-title">
        <h2 id="webhooks-title">Webhook endpoints</h2>
        {data.webhookEndpoints.nodes.length === 0 && <p>None.</p>}
        {data.webhookEndpoints.nodes.map((e) => (
          <article key={e.id} className="endpoint" aria-label={e.url}>
            <h3>{e.url}</h3>
            <p className="meta">
              {e.status.toLowerCase()}{e.statusReason ? ` (${e.statusReason})` : ''} · {e.eventTypes.length ? e.eventTypes.join(', ') : 'every event type'}
              {e.failingSince ? ` · failing since ${when(e.failingSince)}` : ''}
            </p>
            <table>
              <caption>Latest deliveries</caption>
              <thead>
                <tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Answer</th><th scope="col">Delivered</th><th scope="col"><span className="visually-hidden">Action</span></th></tr>
              </thead>
              <tbody>
                {e.deliveries.nodes.map((d) => (
                  <tr key={d.id} data-delivery={d.id}>
                    <td>{d.event.type}</td>
                    <td>{d.status.toLowerCase()}</td>
                    <td>{d.attemptCount}</td>
                    <td>{d.lastStatusCode ?? d.lastError ?? '—'}</td>
                    <td>{when(d.deliveredAt)}</td>
                    <td>
                      <button type="button" onClick={() => void act(REDELIVER, d.id, `${d.event.type} queued again.`, 'webhookDeliveryRedeliver')}>
                        Redeliver<span className="visually-hidden"> {d.event.type}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </article>
        ))}
      </section>

      <section aria-labelledby="integrations-title">
        <h2 id="integrations-title">Integrations</h2>
        {data.integrations.nodes.length === 0 ? <p>None.</p> : (
          <table>
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Provider</th><th scope="col">Status</th><th scope="col">Received</th><th scope="col">Pending</th><th scope="col">Applied</th><th scope="col">Failed</th><th scope="col">Last applied</th><th scope="col">Last error</th></tr>
            </thead>
            <tbody>
              {data.integrations.nodes.map((i) => (
                <tr key={i.id}>
                  <td>{i.name}</td><td>{i.provider.toLowerCase()}</td><td>{i.status.toLowerCase()}</td>
                  <td>{i.syncStatus.received}</td><td>{i.syncStatus.pending}</td><td>{i.syncStatus.applied}</td>
                  <td>{i.syncStatus.failed}</td><td>{when(i.syncStatus.lastAppliedAt)}</td><td>{i.syncStatus.lastError ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="keys-title">
        <h2 id="keys-title">API keys</h2>
        <table>
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Scopes</th><th scope="col">Status</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col"><span className="visually-hidden">Action</span></th></tr>
          </thead>
          <tbody>
            {data.apiKeys.nodes.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td><td><code>{k.prefix}</code></td><td>{k.scopes.join(' ')}</td><td>{k.status.toLowerCase()}</td>
                <td>{when(k.lastUsedAt)}</td><td>{when(k.expiresAt)}</td>
                <td>
                  {k.status === 'ACTIVE' && (
                    <button
                      type="button"
                      onClick={() => {
                        if (window.confirm(`Revoke the key “${k.name}”? Every call made with it is refused from then on.`)) {
                          void act(REVOKE, k.id, `The key “${k.name}” is revoked.`, 'apiKeyRevoke');
                        }
                      }}
                    >
                      Revoke<span className="visually-hidden"> {k.name}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </section>
  );
}
