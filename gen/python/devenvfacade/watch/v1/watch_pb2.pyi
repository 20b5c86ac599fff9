from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
EVENT_TYPE_ADDED: EventType
EVENT_TYPE_BOOKMARK: EventType
EVENT_TYPE_DELETED: EventType
EVENT_TYPE_MODIFIED: EventType
EVENT_TYPE_SNAPSHOT_COMPLETE: EventType
EVENT_TYPE_UNSPECIFIED: EventType

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
