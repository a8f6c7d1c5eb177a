import { FormEvent, useState } from 'react';

/** Signed out: sign in through the company's identity provider, or (development servers) the
 * development sign-in. Both are navigations: the provider's pages are its own. */
export function SignIn() {
  const [company, setCompany] = useState('');
  const next = window.location.pathname + window.location.search;
  const go = (event: FormEvent) => {
    event.preventDefault();
    const query = new URLSearchParams({ company: company.trim(), next });
    window.location.assign(`/auth/sign-in?${query}`);
  };
  return (
    <main id="main" className="sign-in">
      <h1>Sign in to Hiregraph</h1>
      <form onSubmit={go}>
        <label htmlFor="company">Your company’s Hiregraph name</label>
        <input id="company" name="company" required value={company} onChange={(e) => setCompany(e.target.value)} />
        <button type="submit">Continue with your company’s sign-in</button>
      </form>
      <p className="dev">
        Running the demo? <a href={`/auth/dev?${new URLSearchParams({ next })}`}>Development sign-in</a> (only on a
        development server).
      </p>
    </main>
  );
}
