// The API as the app sees it: the signed-in person's session (cookie + CSRF token) and one
// GraphQL client (urql with its normalised cache: Relay global IDs as keys, subscriptions over
// graphql-ws on the same origin, authenticated by the session cookie).
import { cacheExchange } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import { createClient as createWsClient } from 'graphql-ws';
import { Client, fetchExchange, subscriptionExchange } from 'urql';

export type Role = 'ADMIN' | 'RECRUITER' | 'COORDINATOR' | 'HIRING_MANAGER' | 'INTERVIEWER';

export interface Session {
  signedIn: true;
  user: { id: string; name: string; role: Role };
  /** Global IDs of the person's companies (one). */
  companyIds: string[];
  /** The areas the person may read (`offers`, `eeoc`…): the app asks for nothing else. */
  reads: string[];
  expiresAt: string;
  csrfToken: string;
}

export async function loadSession(): Promise<Session | null> {
  const r = await fetch('/auth/session', { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (r.status === 401) return null;
  if (!r.ok) throw new Error(`the session could not be read (${r.status})`);
  return (await r.json()) as Session;
}

export async function signOut(session: Session, everywhere = false): Promise<void> {
  await fetch('/auth/sign-out', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
    body: JSON.stringify({ everywhere }),
  });
}

/** Types without an `id`: values inside their parent, never normalised on their own. */
const EMBEDDED = [
  'PageInfo', 'SalaryRange', 'PostingSections', 'UserError', 'ApplicantLink', 'Compensation', 'OfferApproval',
  'ScorecardAttribute', 'ScorecardAnswer', 'HiringTeamMember', 'InterviewInterviewer', 'PostingImportWarning',
];
const CONNECTIONS = [
  'ApplicationConnection', 'PostingConnection', 'StageTransitionConnection', 'NoteConnection',
  'InterviewConnection', 'ScorecardConnection', 'OfferConnection', 'AttachmentConnection',
  'RejectionReasonConnection', 'ApplicationEdge', 'PostingEdge',
];

export function makeClient(session: Session): Client {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = createWsClient({ url: `${scheme}://${window.location.host}/graphql`, lazy: true, retryAttempts: 20 });
  return new Client({
    url: '/graphql',
    fetchOptions: () => ({
      credentials: 'same-origin',
      headers: { 'x-csrf-token': session.csrfToken },
    }),
    exchanges: [
      cacheExchange({
        keys: Object.fromEntries([...EMBEDDED, ...CONNECTIONS].map((t) => [t, () => null])),
        // Relay connections paged with `after` grow into one list (the postings list pages so).
        resolvers: { Query: { postings: relayPagination() } },
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return { subscribe: (sink) => ({ unsubscribe: ws.subscribe(input, sink) }) };
        },
      }),
    ],
  });
}

export interface SalaryRange {
  min: number | null;
  max: number | null;
  currency: string;
  period: string;
  label: string | null;
}

/** A salary range as people read it: `$65,000–$95,000 a year (base)`, the amounts in the
 * reader's number format, in the range's currency. */
export function money(r: SalaryRange): string {
  // Cents when an amount has some (hourly pay: $28.50), none otherwise (a year's: $65,000).
  const cents = [r.min, r.max].some((v) => v !== null && !Number.isInteger(v)) ? 2 : 0;
  const digits = { minimumFractionDigits: cents, maximumFractionDigits: cents };
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat(undefined, { style: 'currency', currency: r.currency, ...digits });
  } catch {
    format = new Intl.NumberFormat(undefined, digits); // a code Intl does not know
  }
  const amount = (v: number | null) => (v === null ? '…' : format.format(v));
  const unit = format.resolvedOptions().style === 'currency' ? '' : ` ${r.currency}`;
  const period = r.period.toLowerCase();
  const per = period === 'hour' ? 'an hour' : `a ${period}`;
  return `${amount(r.min)}–${amount(r.max)}${unit} ${per}${r.label ? ` (${r.label})` : ''}`;
}

/** The first business error of a mutation payload, as the server worded it. */
export function firstError(payload: { errors?: { message: string }[] } | null | undefined): string | null {
  return payload?.errors?.length ? payload.errors[0].message : null;
}

export function daysSince(iso: string, now = Date.now()): number {
  return Math.max(0, Math.floor((now - Date.parse(iso)) / 86_400_000));
}
