import {
  Announcements,
  DndContext,
  DragEndEvent,
  KeyboardCoordinateGetter,
  KeyboardSensor,
  PointerSensor,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useClient, useMutation, useQuery, useSubscription } from 'urql';

import { daysSince, firstError, money, SalaryRange, Session } from './api';

/** Cards a column reads at a time: the first page with the board, the next ones on "Show more". */
const PAGE = 100;

const COLUMN_PAGE = `
  totalCount
  pageInfo { hasNextPage endCursor }
  nodes {
    id stageEnteredAt nextInterviewAt scorecardsDue source
    knownSource { id name }
    applicant { id name }
  }`;

const BOARD = `
query Board($id: ID!) {
  node(id: $id) {
    ... on Posting {
      id title status employmentType workplace locations
      salaryRanges { min max currency period label }
      importWarnings { code field message }
      salaryConflict
      stages {
        id name kind position
        applications(first: ${PAGE}, status: [ACTIVE]) {${COLUMN_PAGE}
        }
      }
    }
  }
  rejectionReasons(first: 100, filter: { archived: false }) { nodes { id name } }
}`;

const MORE = `
query More($id: ID!, $after: String) {
  node(id: $id) {
    ... on PipelineStage {
      applications(first: ${PAGE}, after: $after, status: [ACTIVE]) {${COLUMN_PAGE}
      }
    }
  }
}`;

const MOVE = `
mutation Move($input: ApplicationMoveInput!) {
  applicationMove(input: $input) { application { id stage { id } } errors { field code message } }
}`;

const RESOLVE = `
mutation Resolve($input: PostingImportWarningsResolveInput!) {
  postingImportWarningsResolve(input: $input) { posting { id importWarnings { code field message } salaryConflict } errors { message } }
}`;

const HIRE = `
mutation Hire($input: ApplicationHireInput!) {
  applicationHire(input: $input) { application { id status } errors { field code message } }
}`;

const LIVE = `
subscription Live($postingId: ID!) {
  events(postingId: $postingId) { id type data }
}`;

interface LiveEvent {
  type: string;
  data: { application?: { id: string }; previousStage?: { id: string } | null; stage?: { id: string } | null };
}

export interface Card {
  id: string;
  stageEnteredAt: string;
  nextInterviewAt: string | null;
  scorecardsDue: number;
  source: string | null;
  knownSource: { id: string; name: string } | null;
  applicant: { id: string; name: string };
}

interface ColumnPage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: Card[];
}

interface Stage {
  id: string;
  name: string;
  kind: string;
  position: number;
  applications: ColumnPage;
}

interface BoardData {
  node: {
    id: string;
    title: string;
    status: string;
    employmentType: string;
    workplace: string | null;
    locations: string[];
    salaryRanges: SalaryRange[];
    importWarnings: { code: string; field: string | null; message: string }[];
    salaryConflict: boolean;
    stages: Stage[];
  } | null;
  rejectionReasons: { nodes: { id: string; name: string }[] };
}

/** A column as shown: its count, the cards read so far, and where the next page starts (null: none). */
interface Column {
  total: number;
  cards: Card[];
  after: string | null;
}

type Columns = Record<string, Column>;

function after(page: ColumnPage): string | null {
  return page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
}

/** The keyboard drags a card column by column: Space picks it up, ←/→ go to the previous or
 * next stage, Space drops it there, Escape puts it back. */
const byColumn: KeyboardCoordinateGetter = (event, { context }) => {
  if (event.code !== 'ArrowRight' && event.code !== 'ArrowLeft') return undefined;
  event.preventDefault();
  const columns = [...context.droppableRects.entries()].sort(([, a], [, b]) => a.left - b.left);
  // Right after the pick-up nothing is under the card yet: it is over its own column then.
  const current = context.over?.id ?? context.active?.data.current?.from;
  const here = columns.findIndex(([id]) => id === current);
  const next = columns[here + (event.code === 'ArrowRight' ? 1 : -1)];
  return next ? { x: next[1].left + 8, y: next[1].top + 40 } : undefined;
};

function columnsOf(stages: Stage[]): Columns {
  return Object.fromEntries(
    stages.map((s) => [s.id, { total: s.applications.totalCount, cards: s.applications.nodes, after: after(s.applications) }]),
  );
}

/** A column with the next page read after it (a card moved in meanwhile is not shown twice). */
function appended(column: Column, page: ColumnPage): Column {
  const shown = new Set(column.cards.map((card) => card.id));
  return {
    total: page.totalCount,
    cards: [...column.cards, ...page.nodes.filter((card) => !shown.has(card.id))],
    after: after(page),
  };
}

/** Move one card between columns in the local state (the optimistic view, and its undo): to the
 * top of its new column, or back to where it was (`at`, with the time it had entered). */
function moved(columns: Columns, cardId: string, from: string, to: string, at?: { index: number; card: Card }): Columns {
  const card = columns[from]?.cards.find((c) => c.id === cardId);
  if (!card || !columns[to]) return columns;
  const cards = columns[to].cards;
  const placed = at
    ? [...cards.slice(0, at.index), at.card, ...cards.slice(at.index)]
    : [{ ...card, stageEnteredAt: new Date().toISOString() }, ...cards];
  return {
    ...columns,
    [from]: { ...columns[from], total: columns[from].total - 1, cards: columns[from].cards.filter((c) => c.id !== cardId) },
    [to]: { ...columns[to], total: columns[to].total + 1, cards: placed },
  };
}

const lower = (v: string) => v.replaceAll('_', ' ').toLowerCase();

/** Events after which an application is no longer active: its card leaves the board. */
const ENDED = new Set(['application.hired', 'application.rejected', 'application.withdrawn']);

/** Text as the name filter compares it: case and accents aside (`chloe` finds Chloé). */
const folded = (v: string) => v.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();

/** What the posting is (status, kind, place, pay) and, for a posting made by the importer, what
 * it could not read for certain, until a recruiter marks it checked. */
function PostingSummary(props: { posting: NonNullable<BoardData['node']>; canResolve: boolean; onResolved: () => void }) {
  const { posting, canResolve } = props;
  const [{ fetching, error }, resolve] = useMutation(RESOLVE);
  const [refused, setRefused] = useState<string | null>(null);
  const place = [posting.workplace && lower(posting.workplace), posting.locations.join(', ')].filter(Boolean);
  const warned = posting.importWarnings.length > 0 || posting.salaryConflict;
  return (
    <>
      <p className="meta">
        {[lower(posting.status), lower(posting.employmentType), ...place].join(' · ')}
        {posting.salaryRanges.length > 0 && <> · {posting.salaryRanges.map(money).join('; ')}</>}
      </p>
      {warned && (
        <aside className="import-warnings" aria-labelledby="import-warnings-title">
          <h2 id="import-warnings-title">To check from the import</h2>
          <ul className="warnings">
            {posting.salaryConflict && <li>The salary figures in the text disagree; all of them are kept above.</li>}
            {posting.importWarnings.map((w, i) => (
              <li key={i}><strong>{w.field ?? 'text'}</strong>: {w.message}</li>
            ))}
          </ul>
          {canResolve && (
            <button
              type="button"
              disabled={fetching}
              onClick={async () => {
                const result = await resolve({ input: { id: posting.id } });
                const problem = result.error?.message ?? firstError(result.data?.postingImportWarningsResolve);
                setRefused(problem);
                // The posting's answer changed the cached board: read it from the server, so the
                // columns are the server's and not the cache's older ones.
                if (!problem) props.onResolved();
              }}
            >
              Mark as checked
            </button>
          )}
          {(refused || error) && <p role="alert" className="error">{refused ?? error?.message}</p>}
        </aside>
      )}
    </>
  );
}

/** One card out of a column in the local state (an application that ended). */
function removed(columns: Columns, cardId: string, from: string): Columns {
  const column = columns[from];
  if (!column?.cards.some((c) => c.id === cardId)) return columns;
  return { ...columns, [from]: { ...column, total: column.total - 1, cards: column.cards.filter((c) => c.id !== cardId) } };
}

/** The pipeline board of one posting: a column per stage with its count; drag a card (or use
 * its "Move to" menu) to move it; select cards to reject them with a reason; moves made
 * elsewhere arrive through the `events` subscription and reload the board. */
export function Board({ session }: { session: Session }) {
  const { id = '' } = useParams();
  const client = useClient();
  // From the server each time the board opens (shown from the cache meanwhile): moves made
  // while it was closed reached no subscription.
  const [{ data, fetching, error }, reload] = useQuery<BoardData>({
    query: BOARD,
    variables: { id },
    requestPolicy: 'cache-and-network',
  });
  const [columns, setColumns] = useState<Columns>({});
  const [status, setStatus] = useState<{ kind: 'alert' | 'status'; text: string } | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [search, setSearch] = useState('');
  const [source, setSource] = useState('');
  const [reason, setReason] = useState('');
  const pending = useRef(0);

  const stages = useMemo(() => [...(data?.node?.stages ?? [])].sort((a, b) => a.position - b.position), [data]);
  // Each reading of the board is a generation: a page read for an older one is dropped. A column
  // the user opened past its first page is read again that far (`wanted`, in cards).
  const generation = useRef(0);
  const wanted = useRef<Record<string, number>>({});
  const readPage = useCallback(
    async (stageId: string, from: string): Promise<ColumnPage | null> => {
      const result = await client
        .query<{ node: { applications: ColumnPage } | null }>(MORE, { id: stageId, after: from }, { requestPolicy: 'network-only' })
        .toPromise();
      const page = result.data?.node?.applications ?? null;
      if (!page) setStatus({ kind: 'alert', text: `More cards could not be read: ${result.error?.message ?? 'the stage is gone'}` });
      return page;
    },
    [client],
  );
  useEffect(() => {
    if (pending.current !== 0) return;
    const current = ++generation.current;
    const read = columnsOf(stages);
    setColumns(read);
    const opened = Object.entries(wanted.current).filter(([id, n]) => read[id] && n > read[id].cards.length);
    if (opened.length === 0) return;
    void (async () => {
      const next = { ...read };
      for (const [id, n] of opened) {
        let column = next[id];
        while (column.after && column.cards.length < n) {
          const page = await readPage(id, column.after);
          if (!page || generation.current !== current) return;
          column = appended(column, page);
        }
        next[id] = column;
      }
      if (generation.current === current && pending.current === 0) setColumns(next);
    })();
  }, [stages, readPage]);

  // Live: a move made elsewhere is applied from the event itself, at once; then (any event about
  // this posting) the board is read again from the server, in one request, to agree with it.
  const timer = useRef<number | undefined>(undefined);
  useSubscription(
    { query: LIVE, variables: { postingId: id }, pause: !id },
    (_prev: unknown, result: { events: LiveEvent }) => {
      const { type, data: d } = result.events;
      const cardId = d.application?.id;
      const from = d.previousStage?.id;
      const to = d.stage?.id;
      if (ENDED.has(type) && cardId && pending.current === 0) {
        setColumns((c) => Object.keys(c).reduce((acc, stageId) => removed(acc, cardId, stageId), c));
      } else if (type === 'application.stage_changed' && cardId && from && to && pending.current === 0) {
        setColumns((c) => (c[from]?.cards.some((card) => card.id === cardId) ? moved(c, cardId, from, to) : c));
      }
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(() => reload({ requestPolicy: 'network-only' }), 300);
      return result;
    },
  );

  const move = useCallback(
    async (cardId: string, from: string, to: string) => {
      if (from === to) return;
      const index = columns[from]?.cards.findIndex((c) => c.id === cardId) ?? -1;
      const was = index >= 0 ? { index, card: columns[from].cards[index] } : undefined;
      const name = was?.card.applicant.name ?? 'The application';
      const stage = stages.find((s) => s.id === to);
      const target = stage?.name ?? 'the stage';
      // Into the posting's hired stage is a hire (`applicationHire`: the application ends, hired,
      // at the first hired stage), not a move that would leave it active there; the board shows
      // active applications, so it then leaves. It cannot be taken back: asked first.
      const hiring = to === stages.find((s) => s.kind === 'HIRED')?.id;
      if (hiring && !window.confirm(`Hire ${name}? The application ends as hired.`)) return;
      // Where the focus is now (on the card, or lost with it) decides where it goes after.
      const focusOnCard = () => {
        const focused = document.activeElement;
        return !focused || focused === document.body || (focused as HTMLElement).closest?.('li.card')?.getAttribute('data-id') === cardId;
      };
      pending.current += 1;
      setColumns((c) => moved(c, cardId, from, to));
      const result = hiring
        ? await client.mutation(HIRE, { input: { id: cardId } }).toPromise()
        : await client.mutation(MOVE, { input: { id: cardId, stageId: to } }).toPromise();
      pending.current -= 1;
      const refused =
        result.error?.message ?? firstError(hiring ? result.data?.applicationHire : result.data?.applicationMove);
      if (refused) {
        if (focusOnCard()) setFocusTo({ stageId: from, ids: new Set([cardId]) }); // back with the card
        setColumns((c) => moved(c, cardId, to, from, was));
        setStatus({ kind: 'alert', text: `${name} was not ${hiring ? 'hired' : 'moved'}: ${refused}` });
      } else if (hiring) {
        const refocus = focusOnCard();
        setColumns((c) => removed(c, cardId, to));
        setStatus({ kind: 'status', text: `${name} hired.` });
        if (refocus) statusLine.current?.focus(); // the card is gone: the focus goes to what happened
      } else {
        setStatus({ kind: 'status', text: `${name} moved to ${target}.` });
      }
    },
    [client, columns, stages],
  );
  const statusLine = useRef<HTMLParagraphElement>(null);

  // The next page of a column, after the cards it shows; the board read again later reads the
  // column this far again.
  const [reading, setReading] = useState<string | null>(null);
  // The cards a page added, the first shown of them to take the focus once rendered (the
  // pattern of a "load more" button: the reader goes on where the new cards begin, and the
  // button may be gone with the last page). Once: cleared by the render that follows.
  const [focusTo, setFocusTo] = useState<{ stageId: string; ids: Set<string> } | null>(null);
  useEffect(() => {
    if (focusTo) setFocusTo(null);
  }, [focusTo]);
  const more = useCallback(
    async (stageId: string) => {
      const from = columns[stageId]?.after;
      if (!from) return;
      const current = generation.current;
      const trigger = document.activeElement;
      setReading(stageId);
      const page = await readPage(stageId, from);
      setReading(null);
      if (!page || generation.current !== current) return;
      const shown = new Set(columns[stageId]?.cards.map((card) => card.id));
      setColumns((c) => {
        const column = c[stageId];
        if (!column || column.after !== from) return c;
        const grown = appended(column, page);
        wanted.current[stageId] = grown.cards.length;
        return { ...c, [stageId]: grown };
      });
      // Unless the reader went elsewhere while the page was read.
      const focused = document.activeElement;
      if (focused === trigger || focused === document.body || focused === null) {
        setFocusTo({ stageId, ids: new Set(page.nodes.map((card) => card.id).filter((id) => !shown.has(id))) });
      }
      // Said aloud too.
      const name = stages.find((s) => s.id === stageId)?.name ?? 'the stage';
      setStatus({ kind: 'status', text: `${page.nodes.length} more cards shown in ${name}.` });
    },
    [columns, readPage, stages],
  );

  const reject = async () => {
    const ids = [...selected];
    if (ids.length === 0) return;
    const args = ids.map((_, i) => `$i${i}: ID!`).join(', ');
    const fields = ids
      .map((_, i) => `r${i}: applicationReject(input: { id: $i${i}, reasonId: $reason }) { errors { message } }`)
      .join('\n');
    const variables: Record<string, string | null> = { reason: reason || null };
    ids.forEach((cardId, i) => (variables[`i${i}`] = cardId));
    const result = await client
      .mutation(`mutation Reject($reason: ID, ${args}) { ${fields} }`, variables)
      .toPromise();
    const refused = ids
      .map((_, i) => firstError(result.data?.[`r${i}`]))
      .filter((m): m is string => m !== null);
    setSelected(new Set());
    setStatus(
      result.error || refused.length
        ? { kind: 'alert', text: `Not every application was rejected: ${result.error?.message ?? refused[0]}` }
        : { kind: 'status', text: `${ids.length} application${ids.length > 1 ? 's' : ''} rejected.` },
    );
    reload({ requestPolicy: 'network-only' });
  };

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, { coordinateGetter: byColumn }),
  );
  const stageName = (stageId: unknown) => stages.find((s) => s.id === stageId)?.name ?? 'no stage';
  const cardName = (cardId: unknown) =>
    Object.values(columns).flatMap((c) => c.cards).find((c) => c.id === cardId)?.applicant.name ?? 'the card';
  // What a screen reader hears while a card is dragged (by stage and name, not by ID).
  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up ${cardName(active.id)}. Left and right arrows choose a stage; space drops; escape cancels.`,
    onDragOver: ({ active, over }) => `${cardName(active.id)} is over ${stageName(over?.id)}.`,
    onDragEnd: ({ active, over }) => `${cardName(active.id)} dropped on ${stageName(over?.id)}.`,
    onDragCancel: ({ active }) => `Moving ${cardName(active.id)} was cancelled.`,
  };
  const onDragEnd = (event: DragEndEvent) => {
    const from = event.active.data.current?.from as string | undefined;
    if (event.over && from) void move(String(event.active.id), from, String(event.over.id));
  };

  const sources = useMemo(() => {
    const all = Object.values(columns).flatMap((c) => c.cards.map((card) => card.knownSource?.name ?? card.source));
    return [...new Set(all.filter((s): s is string => !!s))].sort();
  }, [columns]);
  // The cards the filters keep, worked out once per change of the cards or the filters (not per
  // render, nor twice: for the columns and for the "no card matches" line).
  const shown = useMemo(() => {
    const named = folded(search.trim());
    const keeps = (card: Card) =>
      folded(card.applicant.name).includes(named) && (!source || (card.knownSource?.name ?? card.source) === source);
    return new Set(Object.values(columns).flatMap((c) => c.cards.filter(keeps).map((card) => card.id)));
  }, [columns, search, source]);
  const visible = (card: Card) => shown.has(card.id);
  const readCards = Object.values(columns).reduce((n, c) => n + c.cards.length, 0);
  const focusCard = focusTo
    ? (columns[focusTo.stageId]?.cards ?? []).filter(visible).find((card) => focusTo.ids.has(card.id))?.id
    : undefined;

  if (error?.graphQLErrors.some((e) => e.extensions?.code === 'INVALID_ID')) {
    return <p>No such posting. <Link to="/">Back to the postings</Link>.</p>;
  }
  if (error) return <p role="alert">{error.message}</p>;
  if (!data && fetching) return <p aria-busy="true">Loading the board…</p>;
  // A node that is no posting (another record's ID) answers without a posting's fields.
  if (!data?.node?.stages) return <p>No such posting. <Link to="/">Back to the postings</Link>.</p>;
  const canMove = session.user.role !== 'INTERVIEWER';

  return (
    <section aria-labelledby="board-title" className="board-page">
      <h1 id="board-title">{data.node.title}</h1>
      <PostingSummary
        posting={data.node}
        canResolve={session.user.role === 'ADMIN' || session.user.role === 'RECRUITER'}
        onResolved={() => reload({ requestPolicy: 'network-only' })}
      />
      <div className="filters" role="search">
        <label>
          Name <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <label>
          Source{' '}
          <select value={source} onChange={(e) => setSource(e.target.value)}>
            <option value="">Any</option>
            {sources.map((s) => <option key={s}>{s}</option>)}
          </select>
        </label>
        {canMove && (
          <span className="bulk">
            <label>
              Reason{' '}
              <select value={reason} onChange={(e) => setReason(e.target.value)}>
                <option value="">No reason</option>
                {data.rejectionReasons.nodes.map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}
              </select>
            </label>
            <button type="button" disabled={selected.size === 0} onClick={() => void reject()}>
              Reject {selected.size || ''} selected
            </button>
          </span>
        )}
      </div>
      <p
        ref={statusLine}
        tabIndex={-1}
        role={status?.kind ?? 'status'}
        className={status?.kind === 'alert' ? 'error' : 'note'}
        aria-live="polite"
      >
        {status?.text}
      </p>
      <p role="status" className="note">
        {readCards > 0 && shown.size === 0 ? 'No card on the board matches the filters.' : ''}
      </p>
      <DndContext sensors={sensors} onDragEnd={onDragEnd} accessibility={{ announcements }}>
        <div className="board">
          {stages.map((stage) => (
            <StageColumn
              key={stage.id}
              stage={stage}
              column={columns[stage.id]}
              reading={reading === stage.id}
              onMore={() => void more(stage.id)}
            >
              {(columns[stage.id]?.cards ?? []).filter(visible).map((card) => (
                <CardView
                  key={card.id}
                  card={card}
                  stageId={stage.id}
                  stages={stages}
                  canMove={canMove}
                  selected={selected.has(card.id)}
                  focus={focusCard === card.id}
                  onSelect={(on) =>
                    setSelected((s) => {
                      const next = new Set(s);
                      if (on) next.add(card.id);
                      else next.delete(card.id);
                      return next;
                    })
                  }
                  onMove={(to) => {
                    // The card goes to another column: the focus goes with it, not to the page.
                    setFocusTo({ stageId: to, ids: new Set([card.id]) });
                    void move(card.id, stage.id, to);
                  }}
                />
              ))}
            </StageColumn>
          ))}
        </div>
      </DndContext>
    </section>
  );
}

function StageColumn(props: {
  stage: Stage;
  column?: Column;
  reading: boolean;
  onMore: () => void;
  children: React.ReactNode;
}) {
  const { stage, column, children } = props;
  const { setNodeRef, isOver } = useDroppable({ id: stage.id });
  const total = column?.total ?? stage.applications.totalCount;
  const shown = column?.cards.length ?? 0;
  return (
    <section ref={setNodeRef} className={`column${isOver ? ' over' : ''}`} aria-label={`${stage.name}, ${total} applications`} data-stage={stage.name}>
      <h2>
        {stage.name} <span className="count">{total}</span>
      </h2>
      <ul>{children}</ul>
      {column?.after ? (
        <button
          type="button"
          className="more"
          onClick={props.onMore}
          disabled={props.reading}
          aria-busy={props.reading}
          aria-label={`Show ${Math.min(PAGE, total - shown)} more of ${total - shown} in ${stage.name}`}
        >
          Show {Math.min(PAGE, total - shown)} more of {total - shown}
        </button>
      ) : (
        total > shown && <p className="more">and {total - shown} more</p>
      )}
    </section>
  );
}

function CardView(props: {
  card: Card;
  stageId: string;
  stages: Stage[];
  canMove: boolean;
  selected: boolean;
  /** Take the focus (on the applicant's name) when rendered with it. */
  focus: boolean;
  onSelect: (on: boolean) => void;
  onMove: (to: string) => void;
}) {
  const { card, stageId, stages, canMove, focus } = props;
  const name = useRef<HTMLAnchorElement>(null);
  const [target, setTarget] = useState(stageId);
  useEffect(() => {
    if (focus) name.current?.focus();
  }, [focus]);
  const { attributes, listeners, setNodeRef, transform, isDragging } = useDraggable({
    id: card.id,
    data: { from: stageId },
    disabled: !canMove,
  });
  const style = transform ? { transform: `translate3d(${transform.x}px, ${transform.y}px, 0)` } : undefined;
  const days = daysSince(card.stageEnteredAt);
  const source = card.knownSource?.name ?? card.source;
  return (
    <li ref={setNodeRef} style={style} className={`card${isDragging ? ' dragging' : ''}`} data-card={card.applicant.name} data-id={card.id}>
      {canMove && (
        <div className="handle" {...listeners} {...attributes} aria-label={`Move ${card.applicant.name}`} aria-roledescription="draggable card">
          <span aria-hidden="true">⠿</span>
        </div>
      )}
      <div className="body">
        <Link ref={name} to={`/applicants/${encodeURIComponent(card.applicant.id)}`} className="name">{card.applicant.name}</Link>
        <span className="meta">
          {days} day{days === 1 ? '' : 's'} in stage{source ? ` · ${source}` : ''}
        </span>
        {card.nextInterviewAt && (
          <span className="meta">Next interview {new Date(card.nextInterviewAt).toLocaleString()}</span>
        )}
        {card.scorecardsDue > 0 && <span className="meta due">{card.scorecardsDue} scorecard{card.scorecardsDue > 1 ? 's' : ''} due</span>}
        {canMove && (
          <div className="actions">
            <label>
              <input type="checkbox" checked={props.selected} onChange={(e) => props.onSelect(e.target.checked)} /> Select
            </label>
            {/* Choosing a stage moves nothing: arrow keys walk a closed menu's options, each a
                change, so the move waits for the button. */}
            <select value={target} onChange={(e) => setTarget(e.target.value)} aria-label={`Move ${card.applicant.name} to`}>
              {stages.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
            </select>
            <button
              type="button"
              disabled={target === stageId}
              onClick={() => props.onMove(target)}
              aria-label={`Move ${card.applicant.name} to ${stages.find((s) => s.id === target)?.name ?? 'the stage chosen'}`}
            >
              Move
            </button>
          </div>
        )}
      </div>
    </li>
  );
}
