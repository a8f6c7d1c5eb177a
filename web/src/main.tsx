import { StrictMode, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Link, NavLink, Route, Routes } from 'react-router';
import { Provider } from 'urql';

import { loadSession, makeClient, Session, signOut } from './api';
import { Admin } from './Admin';
import { Board } from './Board';
import { Import } from './Import';
import { Postings } from './Postings';
import { Profile } from './Profile';
import { SignIn } from './SignIn';
import './styles.css';

function Shell({ session }: { session: Session }) {
  const client = useMemo(() => makeClient(session), [session]);
  return (
    <Provider value={client}>
      <header className="top">
        <Link to="/" className="brand">Hiregraph</Link>
        <nav aria-label="Main">
          <NavLink to="/" end>Postings</NavLink>
          {(session.user.role === 'ADMIN' || session.user.role === 'RECRUITER') && <NavLink to="/import">Import a posting</NavLink>}
          {session.user.role === 'ADMIN' && <NavLink to="/admin">Administration</NavLink>}
        </nav>
        <span className="who">
          {session.user.name} <span className="role">{session.user.role.replace('_', ' ').toLowerCase()}</span>
        </span>
        <button
          type="button"
          onClick={async () => {
            await signOut(session);
            window.location.assign('/');
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main">
        <Routes>
          <Route path="/" element={<Postings />} />
          <Route path="/postings/:id" element={<Board session={session} />} />
          <Route path="/applicants/:id" element={<Profile session={session} />} />
          <Route path="/import" element={<Import session={session} />} />
          <Route path="/admin" element={<Admin />} />
          <Route path="*" element={<p>Nothing here. <Link to="/">Back to the postings</Link>.</p>} />
        </Routes>
      </main>
    </Provider>
  );
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    loadSession().then(setSession, (e: Error) => setProblem(e.message));
  }, []);
  if (problem) return <main id="main"><p role="alert">{problem}</p></main>;
  if (session === undefined) return <main id="main"><p aria-busy="true">Loading…</p></main>;
  if (session === null) return <SignIn />;
  return <Shell session={session} />;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BrowserRouter>
      <App />
    </BrowserRouter>
  </StrictMode>,
);
