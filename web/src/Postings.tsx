import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useQuery } from 'urql';

const POSTINGS = `
query Postings($status: [PostingStatus!]) {
  postings(first: 100, filter: { status: $status }) {
    nodes {
      id title status
      department { id name }
      office { id name }
      applications(status: [ACTIVE]) { totalCount }
    }
  }
}`;

interface Posting {
  id: string;
  title: string;
  status: string;
  department: { id: string; name: string } | null;
  office: { id: string; name: string } | null;
  applications: { totalCount: number };
}

const STATUSES = ['OPEN', 'DRAFT', 'CLOSED', 'ARCHIVED'];

/** The company's postings, grouped by department, filtered by status and office. */
export function Postings() {
  const [status, setStatus] = useState('OPEN');
  const [office, setOffice] = useState('');
  const [{ data, fetching, error }] = useQuery<{ postings: { nodes: Posting[] } }>({
    query: POSTINGS,
    variables: { status: status ? [status] : null },
    requestPolicy: 'cache-and-network', // counts change on every board: the server's, each visit
  });
  const postings = data?.postings.nodes ?? [];
  const offices = useMemo(
    () => [...new Map(postings.filter((p) => p.office).map((p) => [p.office!.id, p.office!.name])).entries()],
    [postings],
  );
  const shown = postings.filter((p) => !office || p.office?.id === office);
  const groups = new Map<string, Posting[]>();
  for (const p of shown) {
    const key = p.department?.name ?? 'No department';
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return (
    <section aria-labelledby="postings-title">
      <h1 id="postings-title">Postings</h1>
      <div className="filters">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s.toLowerCase()}</option>)}
          </select>
        </label>
        <label>
          Office{' '}
          <select value={office} onChange={(e) => setOffice(e.target.value)}>
            <option value="">Any</option>
            {offices.map(([id, name]) => <option key={id} value={id}>{name}</option>)}
          </select>
        </label>
      </div>
      {error && <p role="alert">{error.message}</p>}
      {fetching && !data && <p aria-busy="true">Loading…</p>}
      {[...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([department, items]) => (
        <section key={department} className="department">
          <h2>{department}</h2>
          <ul className="postings">
            {items.map((p) => (
              <li key={p.id}>
                <Link to={`/postings/${encodeURIComponent(p.id)}`}>{p.title}</Link>
                <span className="meta">
                  {p.office?.name ?? 'No office'} · {p.status.toLowerCase()} · {p.applications.totalCount} active
                </span>
              </li>
            ))}
          </ul>
        </section>
      ))}
      {data && shown.length === 0 && <p>No postings match.</p>}
    </section>
  );
}
