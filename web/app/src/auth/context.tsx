// context.tsx — the session and the signed-in user (profile and memberships) for every
// screen: useAuth() gives the role that decides which controls are shown.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { api, call } from "../api/client";
import type { Me, Role } from "../api/types";
import { refresh, session, subscribe, type CurrentSession } from "./session";

interface Auth {
  /** "unknown" until the first refresh at start-up answered. */
  status: "unknown" | "signed-in" | "signed-out";
  session: CurrentSession | null;
  role: Role | undefined;
  me: Me | null;
  reloadMe: () => void;
}

const AuthContext = createContext<Auth>({
  status: "unknown",
  session: null,
  role: undefined,
  me: null,
  reloadMe: () => undefined,
});

export function AuthProvider({ children }: { children: ReactNode }) {
  const [current, setCurrent] = useState<CurrentSession | null>(session());
  const [started, setStarted] = useState(false);
  const [me, setMe] = useState<Me | null>(null);

  useEffect(() => subscribe(setCurrent), []);
  useEffect(() => {
    // A reload has no token in memory: the refresh cookie gets one, or we show the login.
    if (session()) setStarted(true);
    else void refresh().finally(() => setStarted(true));
  }, []);

  const tenantId = current?.tenantId;
  const userId = current?.userId;
  const loadMe = useCallback(() => {
    if (!userId) {
      setMe(null);
      return;
    }
    call(api.GET("/api/v1/users/me")).then(
      (r) => setMe(r.data),
      () => setMe(null),
    );
  }, [userId, tenantId]);
  useEffect(loadMe, [loadMe]);

  const value: Auth = {
    status: current ? "signed-in" : started ? "signed-out" : "unknown",
    session: current,
    role: (me && me.id === userId ? me.role : undefined) ?? current?.role,
    me: me && me.id === userId ? me : null,
    reloadMe: loadMe,
  };
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  return useContext(AuthContext);
}
