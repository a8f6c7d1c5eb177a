import { FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { useMutation } from 'urql';

import { firstError, money, SalaryRange, Session } from './api';

const IMPORT = `
mutation Import($input: PostingImportInput!) {
  postingImport(input: $input) {
    posting { id title }
    preview {
      title employmentType workplace locations regions applyUrl
      salaryRanges { min max currency period label }
      stages { name kind }
    }
    warnings { code field message }
    detected { format companyName salaryConflict encodingRepaired sectionHeadings }
    errors { field code message }
  }
}`;

interface Preview {
  title: string | null;
  employmentType: string | null;
  workplace: string | null;
  locations: string[];
  regions: string[];
  applyUrl: string | null;
  salaryRanges: SalaryRange[];
  stages: { name: string; kind: string }[] | null;
}

interface Result {
  posting: { id: string; title: string } | null;
  preview: Preview | null;
  warnings: { code: string; field: string | null; message: string }[];
  detected: { format: string; companyName: string | null; salaryConflict: boolean; encodingRepaired: boolean; sectionHeadings: string[] } | null;
  errors: { field: string | null; code: string; message: string }[];
}

const words = (v: string | null) => (v ? v.replaceAll('_', ' ').toLowerCase() : 'not stated');

/** Paste a posting, see what was read and every warning (a dry run), then create the draft. */
export function Import({ session }: { session: Session }) {
  const [text, setText] = useState('');
  const [read, setRead] = useState<Result | null>(null);
  const [created, setCreated] = useState<Result | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [state, run] = useMutation<{ postingImport: Result }>(IMPORT);

  const submit = async (dryRun: boolean) => {
    setProblem(null);
    const result = await run({ input: { companyId: session.companyIds[0], text, dryRun } });
    const payload = result.data?.postingImport;
    const refused = result.error?.message ?? firstError(payload);
    if (refused || !payload) {
      setProblem(refused ?? 'the import did not answer');
      if (payload?.preview) setRead(payload); // what was read, and the warnings that say why
      return;
    }
    if (dryRun) {
      setRead(payload);
      setCreated(null);
    } else setCreated(payload);
  };
  const onRead = (event: FormEvent) => {
    event.preventDefault();
    void submit(true);
  };

  const p = read?.preview;
  return (
    <section aria-labelledby="import-title" className="import">
      <h1 id="import-title">Import a posting</h1>
      <form onSubmit={onRead}>
        <label htmlFor="posting-text">The posting, as text, Markdown or HTML</label>
        <textarea id="posting-text" rows={14} value={text} onChange={(e) => { setText(e.target.value); setRead(null); }} required />
        <button type="submit" disabled={state.fetching || !text.trim()}>Read it</button>
      </form>
      {problem && <p role="alert" className="error">{problem}</p>}
      {p && (
        <section aria-labelledby="read-title">
          <h2 id="read-title">What was read</h2>
          <dl className="details">
            <dt>Title</dt><dd>{p.title ?? 'not read'}</dd>
            <dt>Company named</dt><dd>{read?.detected?.companyName ?? 'none'}</dd>
            <dt>Employment</dt><dd>{words(p.employmentType)}</dd>
            <dt>Workplace</dt><dd>{words(p.workplace)}</dd>
            <dt>Locations</dt><dd>{[...p.locations, ...p.regions].join(', ') || 'none'}</dd>
            <dt>Salary</dt><dd>{p.salaryRanges.map(money).join('; ') || 'none'}{read?.detected?.salaryConflict ? ' (the figures disagree)' : ''}</dd>
            <dt>Apply at</dt><dd>{p.applyUrl ?? 'not given'}</dd>
            <dt>Pipeline</dt>
            <dd>{p.stages ? p.stages.map((s) => s.name).join(' → ') : 'none read: the default pipeline'}</dd>
          </dl>
          <h3>Warnings ({read?.warnings.length ?? 0})</h3>
          {read && read.warnings.length > 0 ? (
            <ul className="warnings">
              {read.warnings.map((w, i) => <li key={i}><strong>{w.field ?? 'text'}</strong>: {w.message}</li>)}
            </ul>
          ) : (
            <p>None.</p>
          )}
          {created?.posting ? (
            <p role="status">
              Draft created: <Link to={`/postings/${encodeURIComponent(created.posting.id)}`}>{created.posting.title}</Link>
            </p>
          ) : (
            <button type="button" disabled={state.fetching} onClick={() => void submit(false)}>Create the draft</button>
          )}
        </section>
      )}
    </section>
  );
}
