from devenvfacade.rpc.v1 import declaration_pb2 as _declaration_pb2
from devenvfacade.watch.v1 import watch_pb2 as _watch_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from modelarts.notebook.v1 import resources_pb2 as _resources_pb2
from protoc_gen_openapiv2.options import annotations_pb2 as _annotations_pb2_1
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AttachStorageMountRequest(_message.Message):
    __slots__ = ["category", "mount_path", "notebook_id", "project_id", "uri", "wait"]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    MOUNT_PATH_FIELD_NUMBER: _ClassVar[int]
    NOTEBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    category: str
    mount_path: str
    notebook_id: str
    project_id: str
    uri: str
    wait: bool
    def __init__(self, project_id: _Optional[str] = ..., notebook_id: _Optional[str] = ..., category: _Optional[str] = ..., mount_path: _Optional[str] = ..., uri: _Optional[str] = ..., wait: bool = ...) -> None: ...

class AttachStorageMountResponse(_message.Message):
    __slots__ = ["storage_mount"]
    STORAGE_MOUNT_FIELD_NUMBER: _ClassVar[int]
    storage_mount: _resources_pb2.StorageMount
    def __init__(self, storage_mount: _Optional[_Union[_resources_pb2.StorageMount, _Mapping]] = ...) -> None: ...

class ContainerHooks(_message.Message):
    __slots__ = ["post_start", "pre_start"]
    POST_START_FIELD_NUMBER: _ClassVar[int]
    PRE_START_FIELD_NUMBER: _ClassVar[int]
    post_start: HookConfig
    pre_start: HookConfig
    def __init__(self, post_start: _Optional[_Union[HookConfig, _Mapping]] = ..., pre_start: _Optional[_Union[HookConfig, _Mapping]] = ...) -> None: ...

class CreateImageRequest(_message.Message):
    __slots__ = ["description", "name", "namespace", "notebook_id", "project_id", "tag", "wait", "workspace_id"]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NOTEBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    description: str
    name: str
    namespace: str
    notebook_id: str
    project_id: str
    tag: str
    wait: bool
    workspace_id: str
    def __init__(self, project_id: _Optional[str] = ..., notebook_id: _Optional[str] = ..., name: _Optional[str] = ..., namespace: _Optional[str] = ..., tag: _Optional[str] = ..., description: _Optional[str] = ..., workspace_id: _Optional[str] = ..., wait: bool = ...) -> None: ...

class CreateImageResponse(_message.Message):
    __slots__ = ["image"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: _resources_pb2.Image
    def __init__(self, image: _Optional[_Union[_resources_pb2.Image, _Mapping]] = ...) -> None: ...

class CreateNotebookRequest(_message.Message):
    __slots__ = ["description", "duration", "endpoints", "feature", "flavor", "hooks", "image_id", "lease", "name", "pool_id", "project_id", "volume", "wait", "workspace_id"]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_FIELD_NUMBER: _ClassVar[int]
    HOOKS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    description: str
    duration: int
    endpoints: _containers.RepeatedCompositeFieldContainer[EndpointRequest]
    feature: str
    flavor: str
    hooks: CustomHooks
    image_id: str
    lease: LeaseRequest
    name: str
    pool_id: str
    project_id: str
    volume: VolumeRequest
    wait: bool
    workspace_id: str
    def __init__(self, project_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., flavor: _Optional[str] = ..., image_id: _Optional[str] = ..., volume: _Optional[_Union[VolumeRequest, _Mapping]] = ..., feature: _Optional[str] = ..., pool_id: _Optional[str] = ..., workspace_id: _Optional[str] = ..., endpoints: _Optional[_Iterable[_Union[EndpointRequest, _Mapping]]] = ..., hooks: _Optional[_Union[CustomHooks, _Mapping]] = ..., lease: _Optional[_Union[LeaseRequest, _Mapping]] = ..., duration: _Optional[int] = ..., wait: bool = ...) -> None: ...

class CreateNotebookResponse(_message.Message):
    __slots__ = ["notebook"]
    NOTEBOOK_FIELD_NUMBER: _ClassVar[int]
    notebook: _resources_pb2.Notebook
    def __init__(self, notebook: _Optional[_Union[_resources_pb2.Notebook, _Mapping]] = ...) -> None: ...

class CustomHooks(_message.Message):
    __slots__ = ["container_hooks"]
    CONTAINER_HOOKS_FIELD_NUMBER: _ClassVar[int]
    container_hooks: ContainerHooks
    def __init__(self, container_hooks: _Optional[_Union[ContainerHooks, _Mapping]] = ...) -> None: ...

class DeleteImageRequest(_message.Message):
    __slots__ = ["force", "image_id", "project_id"]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    force: bool
    image_id: str
    project_id: str
    def __init__(self, project_id: _Optional[str] = ..., image_id: _Optional[str] = ..., force: bool = ...) -> None: ...

class DeleteImageResponse(_message.Message):
    __slots__ = ["image"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: _resources_pb2.Image
    def __init__(self, image: _Optional[_Union[_resources_pb2.Image, _Mapping]] = ...) -> None: ...

class DeleteNotebookRequest(_message.Message):
    __slots__ = ["notebook_id", "project_id", "wait"]
    NOTEBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    notebook_id: str
    project_id: str
    wait: bool
    def __init__(self, project_id: _Optional[str] = ..., notebook_id: _Optional[str] = ..., wait: bool = ...) -> None: ...

class DeleteNotebookResponse(_message.Message):
    __slots__ = ["notebook"]
    NOTEBOOK_FIELD_NUMBER: _ClassVar[int]
    notebook: _resources_pb2.Notebook
    def __init__(self, notebook: _Optional[_Union[_resources_pb2.Notebook, _Mapping]] = ...) -> None: ...

class DetachStorageMountRequest(_message.Message):
    __slots__ = ["notebook_id", "project_id", "storage_id", "wait"]
    NOTEBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    STORAGE_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    notebook_id: str
    project_id: str
    storage_id: str
    wait: bool
    def __init__(self, project_id: _Optional[str] = ..., notebook_id: _Optional[str] = ..., storage_id: _Optional[str] = ..., wait: bool = ...) -> None: ...

class DetachStorageMountResponse(_message.Message):
    __slots__ = ["storage_mount"]
    STORAGE_MOUNT_FIELD_NUMBER: _ClassVar[int]
    storage_mount: _resources_pb2.StorageMount
    def __init__(self, storage_mount: _Optional[_Union[_resources_pb2.StorageMount, _Mapping]] = ...) -> None: ...

class EndpointRequest(_message.Message):
    __slots__ = ["allowed_access_ips", "key_pair_names", "service"]
    ALLOWED_ACCESS_IPS_FIELD_NUMBER: _ClassVar[int]
    KEY_PAIR_NAMES_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    allowed_access_ips: _containers.RepeatedScalarFieldContainer[str]
    key_pair_names: _containers.RepeatedScalarFieldContainer[str]
    service: str
    def __init__(self, service: _Optional[str] = ..., key_pair_names: _Optional[_Iterable[str]] = ..., allowed_access_ips: _Optional[_Iterable[str]] = ...) -> None: ...

class ErrorBody(_message.Message):
    __slots__ = ["error_code", "error_msg"]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MSG_FIELD_NUMBER: _ClassVar[int]
    error_code: str
    error_msg: str
    def __init__(self, error_code: _Optional[str] = ..., error_msg: _Optional[str] = ...) -> None: ...

class GetImageRequest(_message.Message):
    __slots__ = ["image_id", "project_id"]
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    image_id: str
    project_id: str
    def __init__(self, project_id: _Optional[str] = ..., image_id: _Optional[str] = ...) -> None: ...

class GetImageResponse(_message.Message):
    __slots__ = ["image"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: _resources_pb2.Image
    def __init__(self, image: _Optional[_Union[_resources_pb2.Image, _Mapping]] = ...) -> None: ...

class GetLeaseRequest(_message.Message):
    __slots__ = ["notebook_id", "project_id"]
    NOTEBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    notebook_id: str
    project_id: str
    def __init__(self, project_id: _Optional[str] = ..., notebook_id: _Optional[str] = ...) -> None: ...

class GetLeaseResponse(_message.Message):
    __slots__ = ["lease", "stop_at"]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    STOP_AT_FIELD_NUMBER: _ClassVar[int]
    lease: _resources_pb2.Lease
    stop_at: int
    def __init__(self, lease: _Optional[_Union[_resources_pb2.Lease, _Mapping]] = ..., stop_at: _Optional[int] = ...) -> None: ...

class GetNotebookRequest(_message.Message):
    __slots__ = ["notebook_id", "project_id"]
    NOTEBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    notebook_id: str
    project_id: str
    def __init__(self, project_id: _Optional[str] = ..., notebook_id: _Optional[str] = ...) -> None: ...

class GetNotebookResponse(_message.Message):
    __slots__ = ["notebook"]
    NOTEBOOK_FIELD_NUMBER: _ClassVar[int]
    notebook: _resources_pb2.Notebook
    def __init__(self, notebook: _Optional[_Union[_resources_pb2.Notebook, _Mapping]] = ...) -> None: ...

class GetStorageMountRequest(_message.Message):
    __slots__ = ["notebook_id", "project_id", "storage_id"]
    NOTEBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    STORAGE_ID_FIELD_NUMBER: _ClassVar[int]
    notebook_id: str
    project_id: str
    storage_id: str
    def __init__(self, project_id: _Optional[str] = ..., notebook_id: _Optional[str] = ..., storage_id: _Optional[str] = ...) -> None: ...

class GetStorageMountResponse(_message.Message):
    __slots__ = ["storage_mount"]
    STORAGE_MOUNT_FIELD_NUMBER: _ClassVar[int]
    storage_mount: _resources_pb2.StorageMount
    def __init__(self, storage_mount: _Optional[_Union[_resources_pb2.StorageMount, _Mapping]] = ...) -> None: ...

class HookConfig(_message.Message):
    __slots__ = ["script", "type"]
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    script: str
    type: str
    def __init__(self, script: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class LeaseRequest(_message.Message):
    __slots__ = ["duration", "type"]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    duration: int
    type: str
    def __init__(self, duration: _Optional[int] = ..., type: _Optional[str] = ...) -> None: ...

class ListAllNotebooksRequest(_message.Message):
    __slots__ = ["feature", "limit", "name", "offset", "owner", "page_size", "page_token", "pool_id", "project_id", "sort_dir", "sort_key", "status", "workspace_id"]
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SORT_DIR_FIELD_NUMBER: _ClassVar[int]
    SORT_KEY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    feature: str
    limit: int
    name: str
    offset: int
    owner: str
    page_size: int
    page_token: str
    pool_id: str
    project_id: str
    sort_dir: str
    sort_key: str
    status: str
    workspace_id: str
    def __init__(self, project_id: _Optional[str] = ..., feature: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., name: _Optional[str] = ..., pool_id: _Optional[str] = ..., owner: _Optional[str] = ..., sort_dir: _Optional[str] = ..., sort_key: _Optional[str] = ..., status: _Optional[str] = ..., workspace_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAllNotebooksResponse(_message.Message):
    __slots__ = ["current", "data", "next_page_token", "pages", "size", "total"]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGES_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    current: int
    data: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Notebook]
    next_page_token: str
    pages: int
    size: int
    total: int
    def __init__(self, current: _Optional[int] = ..., data: _Optional[_Iterable[_Union[_resources_pb2.Notebook, _Mapping]]] = ..., pages: _Optional[int] = ..., size: _Optional[int] = ..., total: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListFlavorsRequest(_message.Message):
    __slots__ = ["category", "limit", "offset", "page_size", "page_token", "project_id", "sort_dir", "sort_key", "type"]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SORT_DIR_FIELD_NUMBER: _ClassVar[int]
    SORT_KEY_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    category: str
    limit: int
    offset: int
    page_size: int
    page_token: str
    project_id: str
    sort_dir: str
    sort_key: str
    type: str
    def __init__(self, project_id: _Optional[str] = ..., category: _Optional[str] = ..., type: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., sort_dir: _Optional[str] = ..., sort_key: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFlavorsResponse(_message.Message):
    __slots__ = ["current", "data", "flavors", "next_page_token", "pages", "size", "total"]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    FLAVORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGES_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    current: int
    data: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Flavor]
    flavors: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Flavor]
    next_page_token: str
    pages: int
    size: int
    total: int
    def __init__(self, current: _Optional[int] = ..., data: _Optional[_Iterable[_Union[_resources_pb2.Flavor, _Mapping]]] = ..., flavors: _Optional[_Iterable[_Union[_resources_pb2.Flavor, _Mapping]]] = ..., pages: _Optional[int] = ..., size: _Optional[int] = ..., total: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListImageGroupsRequest(_message.Message):
    __slots__ = ["name", "name_fuzzy_match", "namespace", "project_id", "type", "workspace_id"]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FUZZY_MATCH_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    name_fuzzy_match: bool
    namespace: str
    project_id: str
    type: str
    workspace_id: str
    def __init__(self, project_id: _Optional[str] = ..., name: _Optional[str] = ..., name_fuzzy_match: bool = ..., namespace: _Optional[str] = ..., type: _Optional[str] = ..., workspace_id: _Optional[str] = ...) -> None: ...

class ListImageGroupsResponse(_message.Message):
    __slots__ = ["current", "data", "pages", "size", "total"]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    PAGES_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    current: int
    data: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ImageGroup]
    pages: int
    size: int
    total: int
    def __init__(self, current: _Optional[int] = ..., data: _Optional[_Iterable[_Union[_resources_pb2.ImageGroup, _Mapping]]] = ..., pages: _Optional[int] = ..., size: _Optional[int] = ..., total: _Optional[int] = ...) -> None: ...

class ListImagesRequest(_message.Message):
    __slots__ = ["limit", "name", "name_fuzzy_match", "namespace", "offset", "page_size", "page_token", "project_id", "service_type", "sort_dir", "sort_key", "type", "workspace_id"]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FUZZY_MATCH_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SORT_DIR_FIELD_NUMBER: _ClassVar[int]
    SORT_KEY_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    limit: int
    name: str
    name_fuzzy_match: bool
    namespace: str
    offset: int
    page_size: int
    page_token: str
    project_id: str
    service_type: str
    sort_dir: str
    sort_key: str
    type: str
    workspace_id: str
    def __init__(self, project_id: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., name: _Optional[str] = ..., name_fuzzy_match: bool = ..., namespace: _Optional[str] = ..., service_type: _Optional[str] = ..., sort_dir: _Optional[str] = ..., sort_key: _Optional[str] = ..., type: _Optional[str] = ..., workspace_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListImagesResponse(_message.Message):
    __slots__ = ["current", "data", "next_page_token", "pages", "size", "total"]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGES_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    current: int
    data: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Image]
    next_page_token: str
    pages: int
    size: int
    total: int
    def __init__(self, current: _Optional[int] = ..., data: _Optional[_Iterable[_Union[_resources_pb2.Image, _Mapping]]] = ..., pages: _Optional[int] = ..., size: _Optional[int] = ..., total: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListNotebooksRequest(_message.Message):
    __slots__ = ["feature", "limit", "name", "offset", "owner", "page_size", "page_token", "pool_id", "project_id", "sort_dir", "sort_key", "status", "workspace_id"]
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SORT_DIR_FIELD_NUMBER: _ClassVar[int]
    SORT_KEY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    feature: str
    limit: int
    name: str
    offset: int
    owner: str
    page_size: int
    page_token: str
    pool_id: str
    project_id: str
    sort_dir: str
    sort_key: str
    status: str
    workspace_id: str
    def __init__(self, project_id: _Optional[str] = ..., feature: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., name: _Optional[str] = ..., pool_id: _Optional[str] = ..., owner: _Optional[str] = ..., sort_dir: _Optional[str] = ..., sort_key: _Optional[str] = ..., status: _Optional[str] = ..., workspace_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNotebooksResponse(_message.Message):
    __slots__ = ["current", "data", "next_page_token", "pages", "size", "total"]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGES_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    current: int
    data: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Notebook]
    next_page_token: str
    pages: int
    size: int
    total: int
    def __init__(self, current: _Optional[int] = ..., data: _Optional[_Iterable[_Union[_resources_pb2.Notebook, _Mapping]]] = ..., pages: _Optional[int] = ..., size: _Optional[int] = ..., total: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListStorageMountsRequest(_message.Message):
    __slots__ = ["notebook_id", "project_id"]
    NOTEBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    notebook_id: str
    project_id: str
    def __init__(self, project_id: _Optional[str] = ..., notebook_id: _Optional[str] = ...) -> None: ...

class ListStorageMountsResponse(_message.Message):
    __slots__ = ["current", "data", "pages", "size", "total"]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    PAGES_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    current: int
    data: _containers.RepeatedCompositeFieldContainer[_resources_pb2.StorageMount]
    pages: int
    size: int
    total: int
    def __init__(self, current: _Optional[int] = ..., data: _Optional[_Iterable[_Union[_resources_pb2.StorageMount, _Mapping]]] = ..., pages: _Optional[int] = ..., size: _Optional[int] = ..., total: _Optional[int] = ...) -> None: ...

class ListSwitchableFlavorsRequest(_message.Message):
    __slots__ = ["limit", "notebook_id", "offset", "page_size", "page_token", "project_id"]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    NOTEBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    limit: int
    notebook_id: str
    offset: int
    page_size: int
    page_token: str
    project_id: str
    def __init__(self, project_id: _Optional[str] = ..., notebook_id: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSwitchableFlavorsResponse(_message.Message):
    __slots__ = ["current", "data", "flavors", "next_page_token", "pages", "size", "total"]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    FLAVORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAGES_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    current: int
    data: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Flavor]
    flavors: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Flavor]
    next_page_token: str
    pages: int
    size: int
    total: int
    def __init__(self, current: _Optional[int] = ..., data: _Optional[_Iterable[_Union[_resources_pb2.Flavor, _Mapping]]] = ..., flavors: _Optional[_Iterable[_Union[_resources_pb2.Flavor, _Mapping]]] = ..., pages: _Optional[int] = ..., size: _Optional[int] = ..., total: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RegisterImageRequest(_message.Message):
    __slots__ = ["arch", "description", "origin", "project_id", "resource_category", "service_type", "services", "swr_path", "visibility", "workspace_id"]
    ARCH_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    SERVICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SWR_PATH_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    arch: str
    description: str
    origin: str
    project_id: str
    resource_category: _containers.RepeatedScalarFieldContainer[str]
    service_type: str
    services: _containers.RepeatedScalarFieldContainer[str]
    swr_path: str
    visibility: str
    workspace_id: str
    def __init__(self, project_id: _Optional[str] = ..., swr_path: _Optional[str] = ..., arch: _Optional[str] = ..., description: _Optional[str] = ..., origin: _Optional[str] = ..., resource_category: _Optional[_Iterable[str]] = ..., service_type: _Optional[str] = ..., services: _Optional[_Iterable[str]] = ..., visibility: _Optional[str] = ..., workspace_id: _Optional[str] = ...) -> None: ...

class RegisterImageResponse(_message.Message):
    __slots__ = ["image"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: _resources_pb2.Image
    def __init__(self, image: _Optional[_Union[_resources_pb2.Image, _Mapping]] = ...) -> None: ...

class RenewLeaseRequest(_message.Message):
    __slots__ = ["duration", "lease", "notebook_id", "project_id"]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    NOTEBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    duration: int
    lease: LeaseRequest
    notebook_id: str
    project_id: str
    def __init__(self, project_id: _Optional[str] = ..., notebook_id: _Optional[str] = ..., duration: _Optional[int] = ..., lease: _Optional[_Union[LeaseRequest, _Mapping]] = ...) -> None: ...

class RenewLeaseResponse(_message.Message):
    __slots__ = ["lease", "stop_at"]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    STOP_AT_FIELD_NUMBER: _ClassVar[int]
    lease: _resources_pb2.Lease
    stop_at: int
    def __init__(self, lease: _Optional[_Union[_resources_pb2.Lease, _Mapping]] = ..., stop_at: _Optional[int] = ...) -> None: ...

class StartNotebookRequest(_message.Message):
    __slots__ = ["duration", "notebook_id", "project_id", "type", "wait"]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    NOTEBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    duration: int
    notebook_id: str
    project_id: str
    type: str
    wait: bool
    def __init__(self, project_id: _Optional[str] = ..., notebook_id: _Optional[str] = ..., duration: _Optional[int] = ..., type: _Optional[str] = ..., wait: bool = ...) -> None: ...

class StartNotebookResponse(_message.Message):
    __slots__ = ["notebook"]
    NOTEBOOK_FIELD_NUMBER: _ClassVar[int]
    notebook: _resources_pb2.Notebook
    def __init__(self, notebook: _Optional[_Union[_resources_pb2.Notebook, _Mapping]] = ...) -> None: ...

class StopNotebookRequest(_message.Message):
    __slots__ = ["notebook_id", "project_id", "wait"]
    NOTEBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    notebook_id: str
    project_id: str
    wait: bool
    def __init__(self, project_id: _Optional[str] = ..., notebook_id: _Optional[str] = ..., wait: bool = ...) -> None: ...

class StopNotebookResponse(_message.Message):
    __slots__ = ["notebook"]
    NOTEBOOK_FIELD_NUMBER: _ClassVar[int]
    notebook: _resources_pb2.Notebook
    def __init__(self, notebook: _Optional[_Union[_resources_pb2.Notebook, _Mapping]] = ...) -> None: ...

class UpdateNotebookRequest(_message.Message):
    __slots__ = ["description", "endpoints", "flavor", "hooks", "image_id", "name", "notebook_id", "project_id", "storage_new_size"]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_FIELD_NUMBER: _ClassVar[int]
    HOOKS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NOTEBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    STORAGE_NEW_SIZE_FIELD_NUMBER: _ClassVar[int]
    description: str
    endpoints: _containers.RepeatedCompositeFieldContainer[EndpointRequest]
    flavor: str
    hooks: CustomHooks
    image_id: str
    name: str
    notebook_id: str
    project_id: str
    storage_new_size: int
    def __init__(self, project_id: _Optional[str] = ..., notebook_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., flavor: _Optional[str] = ..., image_id: _Optional[str] = ..., endpoints: _Optional[_Iterable[_Union[EndpointRequest, _Mapping]]] = ..., storage_new_size: _Optional[int] = ..., hooks: _Optional[_Union[CustomHooks, _Mapping]] = ...) -> None: ...

class UpdateNotebookResponse(_message.Message):
    __slots__ = ["notebook"]
    NOTEBOOK_FIELD_NUMBER: _ClassVar[int]
    notebook: _resources_pb2.Notebook
    def __init__(self, notebook: _Optional[_Union[_resources_pb2.Notebook, _Mapping]] = ...) -> None: ...

class VolumeRequest(_message.Message):
    __slots__ = ["capacity", "category", "id", "ownership", "uri"]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNERSHIP_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    capacity: int
    category: str
    id: str
    ownership: str
    uri: str
    def __init__(self, category: _Optional[str] = ..., ownership: _Optional[str] = ..., capacity: _Optional[int] = ..., uri: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class WatchNotebooksRequest(_message.Message):
    __slots__ = ["name", "project_id", "resume_token", "status", "workspace_id"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    project_id: str
    resume_token: str
    status: str
    workspace_id: str
    def __init__(self, project_id: _Optional[str] = ..., status: _Optional[str] = ..., name: _Optional[str] = ..., workspace_id: _Optional[str] = ..., resume_token: _Optional[str] = ...) -> None: ...

class WatchNotebooksResponse(_message.Message):
    __slots__ = ["notebook", "resume_token", "type"]
    NOTEBOOK_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    notebook: _resources_pb2.Notebook
    resume_token: str
    type: _watch_pb2.EventType
    def __init__(self, type: _Optional[_Union[_watch_pb2.EventType, str]] = ..., notebook: _Optional[_Union[_resources_pb2.Notebook, _Mapping]] = ..., resume_token: _Optional[str] = ...) -> None: ...
