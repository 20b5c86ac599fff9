"""Calls the facade with the generated Python stub: gets a sample notebook of
the embedded emulator (the new notebook API, NotebookService), then one that
does not exist, and prints what the facade says about it.
python3 example.py [127.0.0.1:9090]"""

import sys

import grpc
from google.rpc import error_details_pb2, status_pb2
from modelarts.notebook.v1 import notebook_pb2, notebook_pb2_grpc

stub = notebook_pb2_grpc.NotebookServiceStub(grpc.insecure_channel(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:9090"))
project = "0123456789abcdef0123456789abcdef"  # the emulator's sample project

response = stub.GetNotebook(notebook_pb2.GetNotebookRequest(
    project_id=project, notebook_id="f9937afa-4451-42db-a76b-72d624749f66"), timeout=10)
print(response.notebook.name, response.notebook.status)  # notebooks_test RUNNING

request = notebook_pb2.GetNotebookRequest(project_id=project, notebook_id="notebook-gone")
try:
    stub.GetNotebook(request, timeout=10, metadata=[("x-request-id", "my-request-1")])
except grpc.RpcError as e:
    status = status_pb2.Status.FromString(dict(e.trailing_metadata())["grpc-status-details-bin"])
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            print(e.code().name, info.metadata["error_code"], info.metadata["http_status"])  # NOT_FOUND ModelArts.6309 400
