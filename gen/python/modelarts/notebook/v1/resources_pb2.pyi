from google.protobuf import struct_pb2 as _struct_pb2
from protoc_gen_openapiv2.options import annotations_pb2 as _annotations_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Domain(_message.Message):
    __slots__ = ["id", "name"]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class Endpoint(_message.Message):
    __slots__ = ["allowed_access_ips", "dev_service", "key_pair_names", "service", "ssh_keys", "uri"]
    ALLOWED_ACCESS_IPS_FIELD_NUMBER: _ClassVar[int]
    DEV_SERVICE_FIELD_NUMBER: _ClassVar[int]
    KEY_PAIR_NAMES_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SSH_KEYS_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    allowed_access_ips: _containers.RepeatedScalarFieldContainer[str]
    dev_service: str
    key_pair_names: _containers.RepeatedScalarFieldContainer[str]
    service: str
    ssh_keys: _containers.RepeatedScalarFieldContainer[str]
    uri: str
    def __init__(self, service: _Optional[str] = ..., dev_service: _Optional[str] = ..., uri: _Optional[str] = ..., allowed_access_ips: _Optional[_Iterable[str]] = ..., ssh_keys: _Optional[_Iterable[str]] = ..., key_pair_names: _Optional[_Iterable[str]] = ...) -> None: ...

class Flavor(_message.Message):
    __slots__ = ["arch", "billing", "category", "description", "feature", "free", "gpu", "id", "memory", "name", "sold_out", "storages", "vcpus"]
    ARCH_FIELD_NUMBER: _ClassVar[int]
    BILLING_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    FREE_FIELD_NUMBER: _ClassVar[int]
    GPU_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOLD_OUT_FIELD_NUMBER: _ClassVar[int]
    STORAGES_FIELD_NUMBER: _ClassVar[int]
    VCPUS_FIELD_NUMBER: _ClassVar[int]
    arch: str
    billing: FlavorBilling
    category: str
    description: str
    feature: str
    free: bool
    gpu: FlavorGPU
    id: str
    memory: int
    name: str
    sold_out: bool
    storages: _containers.RepeatedScalarFieldContainer[str]
    vcpus: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., arch: _Optional[str] = ..., category: _Optional[str] = ..., feature: _Optional[str] = ..., free: bool = ..., sold_out: bool = ..., vcpus: _Optional[int] = ..., memory: _Optional[int] = ..., storages: _Optional[_Iterable[str]] = ..., billing: _Optional[_Union[FlavorBilling, _Mapping]] = ..., gpu: _Optional[_Union[FlavorGPU, _Mapping]] = ...) -> None: ...

class FlavorBilling(_message.Message):
    __slots__ = ["code", "unit_num"]
    CODE_FIELD_NUMBER: _ClassVar[int]
    UNIT_NUM_FIELD_NUMBER: _ClassVar[int]
    code: str
    unit_num: int
    def __init__(self, code: _Optional[str] = ..., unit_num: _Optional[int] = ...) -> None: ...

class FlavorGPU(_message.Message):
    __slots__ = ["gpu", "gpu_memory", "type"]
    GPU_FIELD_NUMBER: _ClassVar[int]
    GPU_MEMORY_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    gpu: float
    gpu_memory: str
    type: str
    def __init__(self, gpu: _Optional[float] = ..., gpu_memory: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class Image(_message.Message):
    __slots__ = ["arch", "create_at", "description", "dev_services", "id", "name", "namespace", "origin", "resource_categories", "service_type", "size", "status", "status_message", "support_res_categories", "swr_path", "tag", "tags", "type", "update_at", "visibility", "workspace_id"]
    ARCH_FIELD_NUMBER: _ClassVar[int]
    CREATE_AT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEV_SERVICES_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    SERVICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_RES_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    SWR_PATH_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_AT_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    arch: str
    create_at: int
    description: str
    dev_services: _containers.RepeatedScalarFieldContainer[str]
    id: str
    name: str
    namespace: str
    origin: str
    resource_categories: _containers.RepeatedScalarFieldContainer[str]
    service_type: str
    size: int
    status: str
    status_message: str
    support_res_categories: _containers.RepeatedScalarFieldContainer[str]
    swr_path: str
    tag: str
    tags: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    type: str
    update_at: int
    visibility: str
    workspace_id: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., tag: _Optional[str] = ..., namespace: _Optional[str] = ..., swr_path: _Optional[str] = ..., description: _Optional[str] = ..., arch: _Optional[str] = ..., type: _Optional[str] = ..., origin: _Optional[str] = ..., visibility: _Optional[str] = ..., service_type: _Optional[str] = ..., status: _Optional[str] = ..., status_message: _Optional[str] = ..., dev_services: _Optional[_Iterable[str]] = ..., resource_categories: _Optional[_Iterable[str]] = ..., support_res_categories: _Optional[_Iterable[str]] = ..., size: _Optional[int] = ..., create_at: _Optional[int] = ..., update_at: _Optional[int] = ..., workspace_id: _Optional[str] = ..., tags: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ...) -> None: ...

class ImageGroup(_message.Message):
    __slots__ = ["create_at", "name", "namespace", "update_at", "version_count"]
    CREATE_AT_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_COUNT_FIELD_NUMBER: _ClassVar[int]
    create_at: int
    name: str
    namespace: str
    update_at: int
    version_count: int
    def __init__(self, name: _Optional[str] = ..., namespace: _Optional[str] = ..., create_at: _Optional[int] = ..., update_at: _Optional[int] = ..., version_count: _Optional[int] = ...) -> None: ...

class JobProgress(_message.Message):
    __slots__ = ["description", "notebook_id", "status", "step", "step_description"]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NOTEBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STEP_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    description: str
    notebook_id: str
    status: str
    step: int
    step_description: str
    def __init__(self, notebook_id: _Optional[str] = ..., status: _Optional[str] = ..., step: _Optional[int] = ..., step_description: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class Lease(_message.Message):
    __slots__ = ["create_at", "duration", "enable", "type", "update_at"]
    CREATE_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    ENABLE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_AT_FIELD_NUMBER: _ClassVar[int]
    create_at: int
    duration: int
    enable: bool
    type: str
    update_at: int
    def __init__(self, create_at: _Optional[int] = ..., duration: _Optional[int] = ..., enable: bool = ..., type: _Optional[str] = ..., update_at: _Optional[int] = ...) -> None: ...

class Notebook(_message.Message):
    __slots__ = ["action_progress", "billing_items", "create_at", "data_volumes", "description", "endpoints", "fail_reason", "feature", "flavor", "id", "image", "lease", "name", "pool", "status", "tags", "update_at", "url", "user", "user_id", "volume", "workspace_id"]
    ACTION_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    BILLING_ITEMS_FIELD_NUMBER: _ClassVar[int]
    CREATE_AT_FIELD_NUMBER: _ClassVar[int]
    DATA_VOLUMES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    FAIL_REASON_FIELD_NUMBER: _ClassVar[int]
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_AT_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    action_progress: _containers.RepeatedCompositeFieldContainer[JobProgress]
    billing_items: _containers.RepeatedScalarFieldContainer[str]
    create_at: int
    data_volumes: _containers.RepeatedCompositeFieldContainer[StorageMount]
    description: str
    endpoints: _containers.RepeatedCompositeFieldContainer[Endpoint]
    fail_reason: str
    feature: str
    flavor: str
    id: str
    image: Image
    lease: Lease
    name: str
    pool: NotebookPool
    status: str
    tags: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Value]
    update_at: int
    url: str
    user: NotebookUser
    user_id: str
    volume: Volume
    workspace_id: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., status: _Optional[str] = ..., flavor: _Optional[str] = ..., feature: _Optional[str] = ..., workspace_id: _Optional[str] = ..., url: _Optional[str] = ..., fail_reason: _Optional[str] = ..., billing_items: _Optional[_Iterable[str]] = ..., action_progress: _Optional[_Iterable[_Union[JobProgress, _Mapping]]] = ..., endpoints: _Optional[_Iterable[_Union[Endpoint, _Mapping]]] = ..., image: _Optional[_Union[Image, _Mapping]] = ..., lease: _Optional[_Union[Lease, _Mapping]] = ..., pool: _Optional[_Union[NotebookPool, _Mapping]] = ..., volume: _Optional[_Union[Volume, _Mapping]] = ..., user: _Optional[_Union[NotebookUser, _Mapping]] = ..., create_at: _Optional[int] = ..., update_at: _Optional[int] = ..., user_id: _Optional[str] = ..., tags: _Optional[_Iterable[_Union[_struct_pb2.Value, _Mapping]]] = ..., data_volumes: _Optional[_Iterable[_Union[StorageMount, _Mapping]]] = ...) -> None: ...

class NotebookPool(_message.Message):
    __slots__ = ["id", "name"]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class NotebookUser(_message.Message):
    __slots__ = ["domain", "id", "name"]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    domain: Domain
    id: str
    name: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., domain: _Optional[_Union[Domain, _Mapping]] = ...) -> None: ...

class StorageMount(_message.Message):
    __slots__ = ["category", "id", "mount_path", "status", "uri"]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MOUNT_PATH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    category: str
    id: str
    mount_path: str
    status: str
    uri: str
    def __init__(self, id: _Optional[str] = ..., category: _Optional[str] = ..., mount_path: _Optional[str] = ..., uri: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class Volume(_message.Message):
    __slots__ = ["capacity", "category", "mount_path", "ownership", "read_only", "status"]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    MOUNT_PATH_FIELD_NUMBER: _ClassVar[int]
    OWNERSHIP_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    capacity: int
    category: str
    mount_path: str
    ownership: str
    read_only: bool
    status: str
    def __init__(self, category: _Optional[str] = ..., ownership: _Optional[str] = ..., capacity: _Optional[int] = ..., mount_path: _Optional[str] = ..., status: _Optional[str] = ..., read_only: bool = ...) -> None: ...
