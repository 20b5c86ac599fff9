"""Calls the facade with the generated Python stub: gets a sample instance of
the embedded emulator, then one that does not exist, and prints what the
facade says about it. python3 example.py [127.0.0.1:9090]"""

import sys

import grpc
from google.rpc import error_details_pb2, status_pb2
from modelarts.devenv.v1 import devenv_pb2, devenv_pb2_grpc

stub = devenv_pb2_grpc.DevEnvServiceStub(grpc.insecure_channel(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:9090"))
project = "0123456789abcdef0123456789abcdef"  # the emulator's sample project

response = stub.GetInstance(devenv_pb2.GetInstanceRequest(
    project_id=project, instance_id="DE-7d558ef8-c73d-11ea-964c-0255ac100033"), timeout=10)
print(response.instance.name, response.instance.status)  # notebook-d115 RUNNING

request = devenv_pb2.GetInstanceRequest(project_id=project, instance_id="notebook-gone")
try:
    stub.GetInstance(request, timeout=10, metadata=[("x-request-id", "my-request-1")])
except grpc.RpcError as e:
    status = status_pb2.Status.FromString(dict(e.trailing_metadata())["grpc-status-details-bin"])
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            print(e.code().name, info.metadata["error_code"], info.metadata["http_status"])  # NOT_FOUND ModelArts.6309 400
