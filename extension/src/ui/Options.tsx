import { useEffect, useState } from "preact/hooks";
import type { PageExplanation, Result, SessionState } from "../messaging.ts";
import { DetectionDebug } from "./DetectionDebug.tsx";

/** Relay URL and sign-in with the work email (device authorization by emailed link). */
export function Options(props: {
  getSession(): Promise<SessionState>;
  startSignIn(relayUrl: string, email: string): Promise<Result<{ userCode: string }>>;
  signOut(): Promise<void>;
  explainTabs(): Promise<PageExplanation[]>;
}) {
  const [session, setSession] = useState<SessionState | null>(null);
  const [relayUrl, setRelayUrl] = useState("");
  const [email, setEmail] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function refresh() {
    const s = await props.getSession();
    setSession(s);
    setRelayUrl((v) => v || s.relayUrl);
    if (s.lastError) setError(s.lastError);
  }

  useEffect(() => {
    void refresh();
    const t = setInterval(refresh, 1000); // follows the background's poll for the device token
    return () => clearInterval(t);
  }, []);

  async function signIn(e: Event) {
    e.preventDefault();
    setError(null);
    let url: URL;
    try {
      url = new URL(relayUrl);
      if (!/^https?:$/.test(url.protocol)) throw new Error();
    } catch {
      return setError("The relay URL must start with https:// (or http:// for a local relay).");
    }
    setBusy(true);
    const res = await props.startSignIn(url.href.replace(/\/$/, ""), email.trim());
    setBusy(false);
    if (!res.ok) return setError(res.problem.detail ?? res.problem.title);
    await refresh();
  }

  if (!session) return <main class="options" />;
  return (
    <main class="options" data-testid="options">
      <h1>Gatehouse</h1>
      {session.user ? (
        <section>
          <p data-testid="signed-in">
            Signed in as <strong>{session.user.name}</strong> ({session.user.email}) on {session.relayUrl}.
          </p>
          <button
            type="button"
            onClick={async () => {
              await props.signOut();
              await refresh();
            }}
          >
            Sign out
          </button>
          {session.detectionRules && (
            <p data-testid="detection-rules">
              {session.detectionRules.active} detection rule{session.detectionRules.active === 1 ? "" : "s"} from your relay in use.
            </p>
          )}
          {session.detectionRules?.problems.length ? (
            <div class="error" role="alert" data-testid="detection-rule-problems">
              <p>These detection rules from your relay were ignored (ask your Gatehouse admin to fix them):</p>
              <ul>
                {session.detectionRules.problems.map((p) => (
                  <li key={p.app}>
                    <strong>{p.app}</strong>: {p.message}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
        </section>
      ) : session.pendingSignIn ? (
        <section data-testid="pending">
          <p>
            We sent a sign-in link to <strong>{session.pendingSignIn.email}</strong>. Open it and check that it shows this code:
          </p>
          <p class="code" data-testid="user-code">
            {session.pendingSignIn.userCode}
          </p>
          <p class="muted">This page updates by itself once you confirm.</p>
        </section>
      ) : (
        <form onSubmit={signIn}>
          <label>
            Relay URL
            <input
              type="url"
              required
              value={relayUrl}
              data-testid="relay-url"
              onInput={(e) => setRelayUrl((e.target as HTMLInputElement).value)}
            />
          </label>
          <label>
            Work email
            <input
              type="email"
              required
              value={email}
              data-testid="email"
              autocomplete="email"
              onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
            />
          </label>
          <button type="submit" class="primary" data-testid="sign-in" disabled={busy}>
            {busy ? "Sending…" : "Email me a sign-in link"}
          </button>
        </form>
      )}
      {error && (
        <p class="error" role="alert" data-testid="error">
          {error}
        </p>
      )}
      <DetectionDebug explainTabs={props.explainTabs} />
    </main>
  );
}
