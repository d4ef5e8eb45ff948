// Where the API's Microsoft callback sends the browser: `#handoff=<code>` (or `#error=<text>`).
import { useEffect, useRef, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { messageOf } from "../api/problem";
import { useSession } from "../auth/SessionProvider";
import { Loading } from "../ui/states";

export function MicrosoftDone() {
  const { completeMicrosoftSignIn } = useSession();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return; // the code is single use: never exchange it twice
    started.current = true;
    const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    // Take the code out of the address bar and the history at once.
    window.history.replaceState(null, "", window.location.pathname);
    const handoff = fragment.get("handoff");
    if (!handoff) {
      setError(fragment.get("error") ?? "The Microsoft sign-in did not complete. Please try again.");
      return;
    }
    completeMicrosoftSignIn(handoff)
      .then(() => navigate("/", { replace: true }))
      .catch((caught) => setError(messageOf(caught)));
  }, [completeMicrosoftSignIn, navigate]);

  if (!error) return <Loading what="Completing the Microsoft sign-in" />;
  return (
    <div className="login">
      <div className="login-card">
        <h1>Microsoft sign-in failed</h1>
        <p className="form-error" role="alert">
          {error}
        </p>
        <Link to="/login">Back to sign-in</Link>
      </div>
    </div>
  );
}
