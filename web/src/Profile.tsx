import Markdown from 'react-markdown';
import { useParams } from 'react-router';
import { useQuery } from 'urql';

import type { Session } from './api';

const PROFILE = `
query Profile($id: ID!) {
  node(id: $id) {
    ... on Applicant {
      id name emails phones location source tags
      attachments(first: 20) { nodes { id filename kind downloadUrl } }
      applications(first: 20) {
        nodes {
          id status appliedAt rejectionReason rejectReason { id name }
          posting { id title }
          stage { id name }
          history(first: 50) { nodes { id fromStageName toStageName actor reason createdAt } }
          interviews(first: 20) { nodes { id title status startAt } }
          scorecards(first: 20) { nodes { id status overallRecommendation submittedAt interviewer { id name } interview { id title } } }
          notes(first: 50) { nodes { id author body createdAt } }
        }
      }
    }
  }
}`;

const OFFERS = `
query Offers($id: ID!) {
  node(id: $id) { ... on Applicant { applications(first: 20) { nodes { id offers(first: 5) { nodes { id version status startDate } } } } } }
}`;

interface Application {
  id: string;
  status: string;
  appliedAt: string;
  rejectionReason: string | null;
  rejectReason: { id: string; name: string } | null;
  posting: { id: string; title: string };
  stage: { id: string; name: string };
  history: { nodes: { id: string; fromStageName: string | null; toStageName: string; actor: string | null; reason: string | null; createdAt: string }[] };
  interviews: { nodes: { id: string; title: string; status: string; startAt: string }[] };
  scorecards: { nodes: { id: string; status: string; overallRecommendation: string; submittedAt: string | null; interviewer: { name: string } | null; interview: { title: string } | null }[] };
  notes: { nodes: { id: string; author: string | null; body: string; createdAt: string }[] };
}

interface Applicant {
  id: string;
  name: string;
  emails: string[];
  phones: string[];
  location: string | null;
  source: string | null;
  tags: string[];
  attachments: { nodes: { id: string; filename: string; kind: string; downloadUrl: string }[] };
  applications: { nodes: Application[] };
}

const when = (iso: string) => new Date(iso).toLocaleString();

/** A candidate: details, applications with their stage timeline, interviews, scorecards, notes
 * (Markdown, no raw HTML), attachments, and offers when the person may read them. */
export function Profile({ session }: { session: Session }) {
  const { id = '' } = useParams();
  const [{ data, error }] = useQuery<{ node: Applicant | null }>({ query: PROFILE, variables: { id } });
  // Asked once the profile is in: the cache (no schema given to it) lost the profile's answer
  // when this one, about the same applications, arrived first. Asked only of people who may
  // read offers: for others `offers` is refused, that nulls the whole `node`, and the cache
  // would then forget the profile it holds under the same `node(id:)`.
  const mayReadOffers = session.reads.includes('offers');
  const [offers] = useQuery<{ node: { applications: { nodes: { id: string; offers: { nodes: { id: string; version: number; status: string; startDate: string | null }[] } }[] } } | null }>({
    query: OFFERS,
    variables: { id },
    pause: !data?.node || !mayReadOffers,
  });
  if (error) return <p role="alert">{error.message}</p>;
  const a = data?.node;
  if (!data) return <p aria-busy="true">Loading…</p>;
  if (!a) return <p>No such candidate.</p>;
  const offersOf = (applicationId: string) =>
    offers.data?.node?.applications.nodes.find((x) => x.id === applicationId)?.offers.nodes ?? null;
  return (
    <article aria-labelledby="profile-title" className="profile">
      <h1 id="profile-title">{a.name}</h1>
      <dl className="details">
        <dt>Email</dt><dd>{a.emails.join(', ') || '—'}</dd>
        <dt>Phone</dt><dd>{a.phones.join(', ') || '—'}</dd>
        <dt>Location</dt><dd>{a.location ?? '—'}</dd>
        <dt>Source</dt><dd>{a.source ?? '—'}</dd>
        <dt>Tags</dt><dd>{a.tags.join(', ') || '—'}</dd>
      </dl>
      {a.attachments.nodes.length > 0 && (
        <section>
          <h2>Attachments</h2>
          <ul>{a.attachments.nodes.map((f) => <li key={f.id}><a href={f.downloadUrl}>{f.filename}</a> ({f.kind.replaceAll('_', ' ').toLowerCase()})</li>)}</ul>
        </section>
      )}
      {a.applications.nodes.map((app) => {
        const appOffers = offersOf(app.id);
        return (
          <section key={app.id} className="application">
            <h2>{app.posting.title}</h2>
            <p className="meta">{app.status.toLowerCase()} · {app.stage.name} · applied {when(app.appliedAt)}</p>
            {(app.rejectReason || app.rejectionReason) && (
              <p>
                Rejected{app.rejectReason ? `: ${app.rejectReason.name}` : ''}
                {app.rejectionReason && app.rejectionReason !== app.rejectReason?.name ? ` (${app.rejectionReason})` : ''}
              </p>
            )}
            <h3>Timeline</h3>
            <ol className="timeline">
              {app.history.nodes.map((h) => (
                <li key={h.id}>
                  {when(h.createdAt)}: {h.fromStageName ? `${h.fromStageName} → ` : ''}{h.toStageName}
                  {h.actor ? ` by ${h.actor}` : ''}{h.reason ? ` (${h.reason})` : ''}
                </li>
              ))}
            </ol>
            {app.interviews.nodes.length > 0 && (
              <>
                <h3>Interviews</h3>
                <ul>{app.interviews.nodes.map((i) => <li key={i.id}>{i.title}: {when(i.startAt)} ({i.status.toLowerCase()})</li>)}</ul>
              </>
            )}
            {app.scorecards.nodes.length > 0 && (
              <>
                <h3>Scorecards</h3>
                <ul>
                  {app.scorecards.nodes.map((s) => (
                    <li key={s.id}>
                      {s.interview ? `${s.interview.title}, ` : ''}{s.interviewer?.name ?? 'Someone'}: {s.overallRecommendation.replaceAll('_', ' ').toLowerCase()} ({s.status.toLowerCase()})
                    </li>
                  ))}
                </ul>
              </>
            )}
            {appOffers && appOffers.length > 0 && (
              <>
                <h3>Offers</h3>
                <ul>{appOffers.map((o) => <li key={o.id}>Version {o.version}: {o.status.toLowerCase()}{o.startDate ? `, starting ${o.startDate}` : ''}</li>)}</ul>
              </>
            )}
            {app.notes.nodes.length > 0 && (
              <>
                <h3>Notes</h3>
                {app.notes.nodes.map((n) => (
                  <div key={n.id} className="note-body">
                    <p className="meta">{n.author ?? 'Someone'}, {when(n.createdAt)}</p>
                    <Markdown skipHtml>{n.body}</Markdown>
                  </div>
                ))}
              </>
            )}
          </section>
        );
      })}
    </article>
  );
}
