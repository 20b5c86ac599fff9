// Calls the facade with the TypeScript client (@devenv-facade/client): gets
// a sample notebook of the embedded emulator (the new notebook API,
// NotebookService), then one that does not exist, and prints what the
// facade says about it. Plain JavaScript, so Node.js runs it as it is:
// node example.mjs [http://127.0.0.1:9090]
import { createNotebookClient, facadeError } from "@devenv-facade/client";

const client = createNotebookClient({ baseUrl: process.argv[2] ?? "http://127.0.0.1:9090" });
const projectId = "0123456789abcdef0123456789abcdef"; // the emulator's sample project

const { notebook } = await client.getNotebook(
  { projectId, notebookId: "f9937afa-4451-42db-a76b-72d624749f66" },
  { timeoutMs: 10_000 },
);
console.log(notebook.name, notebook.status); // notebooks_test RUNNING

try {
  await client.getNotebook(
    { projectId, notebookId: "notebook-gone" },
    { timeoutMs: 10_000, headers: { "x-request-id": "my-request-1" } },
  );
} catch (e) {
  const err = facadeError(e); // ConnectError.from(e).findDetails(ErrorInfoSchema) underneath
  console.log(err.codeName, err.errorCode, err.httpStatus, err.requestId); // NOT_FOUND ModelArts.6309 400 my-request-1
}
