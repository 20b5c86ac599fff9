// Calls the facade with the TypeScript client (@devenv-facade/client): gets
// a sample instance of the embedded emulator, then one that does not exist,
// and prints what the facade says about it. Plain JavaScript, so Node.js
// runs it as it is: node example.mjs [http://127.0.0.1:9090]
import { createDevEnvClient, facadeError } from "@devenv-facade/client";

const client = createDevEnvClient({ baseUrl: process.argv[2] ?? "http://127.0.0.1:9090" });
const projectId = "0123456789abcdef0123456789abcdef"; // the emulator's sample project

const { instance } = await client.getInstance(
  { projectId, instanceId: "DE-7d558ef8-c73d-11ea-964c-0255ac100033" },
  { timeoutMs: 10_000 },
);
console.log(instance.name, instance.status); // notebook-d115 RUNNING

try {
  await client.getInstance(
    { projectId, instanceId: "notebook-gone" },
    { timeoutMs: 10_000, headers: { "x-request-id": "my-request-1" } },
  );
} catch (e) {
  const err = facadeError(e); // ConnectError.from(e).findDetails(ErrorInfoSchema) underneath
  console.log(err.codeName, err.errorCode, err.httpStatus, err.requestId); // NOT_FOUND ModelArts.6309 400 my-request-1
}
