// types.ts — the API's shapes, derived from the generated paths (not from schema names or
// operation ids, which a regenerated doc/openapi.json may rename).
import type { paths } from "./schema";

type Json<R> = R extends { content: { "application/json": infer T } } ? T : never;

/** The JSON body of response STATUS to METHOD PATH. */
export type ResponseBody<
  P extends keyof paths,
  M extends keyof paths[P],
  S extends number,
> = paths[P][M] extends { responses: infer Rs }
  ? S extends keyof Rs
    ? Json<Rs[S]>
    : never
  : never;

type Data<T> = T extends { data: infer D } ? D : never;
type Item<T> = T extends { data: Array<infer I> } ? I : never;

export type Session = Data<ResponseBody<"/api/v1/auth/login", "post", 200>>;
export type Me = Data<ResponseBody<"/api/v1/users/me", "get", 200>>;
export type TenantSummary = Me["tenants"][number];
export type Role = Me["role"];
export type Tenant = Data<ResponseBody<"/api/v1/tenants/current", "get", 200>>;
export type Member = Item<ResponseBody<"/api/v1/tenants/current/members", "get", 200>>;
export type AuditEntry = Item<ResponseBody<"/api/v1/tenants/current/audit", "get", 200>>;
export type Feature = Item<ResponseBody<"/api/v1/tenants/current/features", "get", 200>>;
export type DocumentSummary = Item<ResponseBody<"/api/v1/documents", "get", 200>>;
export type Document = Data<ResponseBody<"/api/v1/documents/{id}", "get", 200>>;
export type DocumentStatus = Document["status"];
export type DocumentFile = Data<ResponseBody<"/api/v1/documents/{id}/files", "post", 201>>;
export type Job = Data<ResponseBody<"/api/v1/jobs/{id}", "get", 200>>;
export type JobStatus = Job["status"];
export type UserSession = Item<ResponseBody<"/api/v1/auth/sessions", "get", 200>>;
export type ApiKey = Item<ResponseBody<"/api/v1/tenants/current/api-keys", "get", 200>>;
export type ApiKeyCreated = Data<ResponseBody<"/api/v1/tenants/current/api-keys", "post", 201>>;
export type Subscription = Data<ResponseBody<"/api/v1/tenants/current/subscription", "get", 200>>;
export type Meter = Item<ResponseBody<"/api/v1/tenants/current/usage", "get", 200>>;
export type Plan = Item<ResponseBody<"/api/v1/billing/plans", "get", 200>>;
export type WebhookSecret = Data<ResponseBody<"/api/v1/tenants/current/webhook-secret", "post", 201>>;
export type DocumentSort = NonNullable<
  NonNullable<paths["/api/v1/documents"]["get"]["parameters"]["query"]>["sort"]
>;

const RANK: Record<Role, number> = { viewer: 1, member: 2, admin: 3, owner: 4 };

/** Whether ROLE is at least MIN (viewer < member < admin < owner). */
export function atLeast(role: Role | undefined, min: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[min];
}

export const ROLES: Role[] = ["viewer", "member", "admin", "owner"];
export const DOCUMENT_STATUSES: DocumentStatus[] = ["draft", "published", "archived"];
export const JOB_STATUSES: JobStatus[] = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "dead",
  "cancelled",
];
export const FINAL_JOB_STATUSES: JobStatus[] = ["succeeded", "failed", "dead", "cancelled"];
