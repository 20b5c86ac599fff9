from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

ACCESS_READ: Access
ACCESS_READ_ALL_USERS: Access
ACCESS_UNSPECIFIED: Access
ACCESS_WRITE: Access
DECLARATION_FIELD_NUMBER: _ClassVar[int]
DESCRIPTOR: _descriptor.FileDescriptor
SCOPE_INSTANCE: Scope
SCOPE_NONE: Scope
SCOPE_PROJECT: Scope
SCOPE_UNSPECIFIED: Scope
WAIT_ALWAYS: Wait
WAIT_NEVER: Wait
WAIT_ON_REQUEST: Wait
WAIT_UNSPECIFIED: Wait
declaration: _descriptor.FieldDescriptor

class Declaration(_message.Message):
    __slots__ = ["access", "instance_field", "project_field", "scope", "wait", "wait_field"]
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_FIELD_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    access: Access
    instance_field: str
    project_field: str
    scope: Scope
    wait: Wait
    wait_field: str
    def __init__(self, scope: _Optional[_Union[Scope, str]] = ..., access: _Optional[_Union[Access, str]] = ..., wait: _Optional[_Union[Wait, str]] = ..., project_field: _Optional[str] = ..., instance_field: _Optional[str] = ..., wait_field: _Optional[str] = ...) -> None: ...

class Scope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Access(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Wait(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
