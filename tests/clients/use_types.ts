// An integrator's code against the TypeScript types openapi-typescript generates from the
// OpenAPI document. tests/test_openapi_clients.py generates ./portway.ts next to a copy of
// this file and runs `tsc --noEmit --strict`; each @ts-expect-error must still be an error.
import type { components, operations } from "./portway";

type Schemas = components["schemas"];
type Json<T> = T extends { content: { "application/json": infer B } } ? B : never;

// Optional request fields stay optional.
export const asset: Schemas["AssetCreate"] = { name: "Excavator 320" };
export const customer: Schemas["CustomerCreate"] = { name: "Nordbau GmbH" };
export const template: Schemas["TemplateCreate"] = { name: "Rental", apps: ["equipment"] };
// @ts-expect-error name is required
export const nameless: Schemas["CustomerCreate"] = {};

// Accepting the terms is `true`, nothing else.
const account = { token: "pwi_x", email: "anna@nordbau.example", name: "Anna", password: "p" };
export const accepted: Schemas["InvitationAccept"] = { ...account, accept_terms: true };
// @ts-expect-error accept_terms must be true
export const declined: Schemas["InvitationAccept"] = { ...account, accept_terms: false };

// Problem `errors` are typed: field and message, and maybe a code.
export function messages(problem: Schemas["Problem"]): string[] {
  return (problem.errors ?? []).map((e) => `${e.field}: ${e.message} (${e.code ?? "-"})`);
}
export const invalid: operations["create_customer"]["responses"][422]["content"] = {
  "application/problem+json": {
    type: "urn:portway:problem:validation",
    title: "Invalid input",
    status: 422,
    detail: "1 field(s) are invalid.",
    errors: [{ field: "name", message: "required" }],
  },
};

// The self-service side of a name a provider route has too has its own operation.
export type SelfService = Json<operations["get_self_service_contract"]["responses"][200]>;
export type Provider = Json<operations["get_contract"]["responses"][200]>;

// SSO answers 302 with Location; its form needs `jwt`, `return_to` is optional.
type FormOf<Op extends keyof operations> = operations[Op] extends {
  requestBody: { content: { "application/x-www-form-urlencoded": infer F } };
}
  ? F
  : never;
export const form: FormOf<"sso_login_form"> = { jwt: "eyJ.a.b" };
// @ts-expect-error jwt is required
export const formless: FormOf<"sso_login_form"> = { return_to: "/done" };
export const landing: operations["sso_login"]["responses"][302]["headers"]["Location"] =
  "https://portal.example/#session=s";
