from devenvfacade.rpc.v1 import declaration_pb2 as _declaration_pb2
from devenvfacade.watch.v1 import watch_pb2 as _watch_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from protoc_gen_openapiv2.options import annotations_pb2 as _annotations_pb2_1
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AIProject(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ActOnInstanceRequest(_message.Message):
    __slots__ = ["action", "instance_id", "project_id"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    action: str
    instance_id: str
    project_id: str
    def __init__(self, project_id: _Optional[str] = ..., instance_id: _Optional[str] = ..., action: _Optional[str] = ...) -> None: ...

class ActOnInstanceResponse(_message.Message):
    __slots__ = ["current_status", "previous_state"]
    CURRENT_STATUS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATE_FIELD_NUMBER: _ClassVar[int]
    current_status: str
    previous_state: str
    def __init__(self, current_status: _Optional[str] = ..., previous_state: _Optional[str] = ...) -> None: ...

class AutoStop(_message.Message):
    __slots__ = ["duration", "enable", "prompt", "remain_time", "stop_timestamp"]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    ENABLE_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    REMAIN_TIME_FIELD_NUMBER: _ClassVar[int]
    STOP_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    duration: int
    enable: bool
    prompt: bool
    remain_time: int
    stop_timestamp: int
    def __init__(self, enable: bool = ..., duration: _Optional[int] = ..., prompt: bool = ..., stop_timestamp: _Optional[int] = ..., remain_time: _Optional[int] = ...) -> None: ...

class ConnectionInfo(_message.Message):
    __slots__ = ["protocol", "url"]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    protocol: str
    url: str
    def __init__(self, protocol: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class CreateInstanceRequest(_message.Message):
    __slots__ = ["ai_project", "description", "flavor", "name", "pool", "profile_id", "project_id", "spec", "wait", "workspace"]
    AI_PROJECT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    PROFILE_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    ai_project: AIProject
    description: str
    flavor: str
    name: str
    pool: Pool
    profile_id: str
    project_id: str
    spec: CreateInstanceSpec
    wait: bool
    workspace: Workspace
    def __init__(self, project_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., profile_id: _Optional[str] = ..., flavor: _Optional[str] = ..., spec: _Optional[_Union[CreateInstanceSpec, _Mapping]] = ..., workspace: _Optional[_Union[Workspace, _Mapping]] = ..., pool: _Optional[_Union[Pool, _Mapping]] = ..., ai_project: _Optional[_Union[AIProject, _Mapping]] = ..., wait: bool = ...) -> None: ...

class CreateInstanceResponse(_message.Message):
    __slots__ = ["instance"]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    instance: Instance
    def __init__(self, instance: _Optional[_Union[Instance, _Mapping]] = ...) -> None: ...

class CreateInstanceSpec(_message.Message):
    __slots__ = ["annotations", "auto_stop", "extend_storage", "storage"]
    class AnnotationsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ANNOTATIONS_FIELD_NUMBER: _ClassVar[int]
    AUTO_STOP_FIELD_NUMBER: _ClassVar[int]
    EXTEND_STORAGE_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    annotations: _containers.ScalarMap[str, str]
    auto_stop: AutoStop
    extend_storage: _containers.RepeatedCompositeFieldContainer[Storage]
    storage: Storage
    def __init__(self, storage: _Optional[_Union[Storage, _Mapping]] = ..., extend_storage: _Optional[_Iterable[_Union[Storage, _Mapping]]] = ..., auto_stop: _Optional[_Union[AutoStop, _Mapping]] = ..., annotations: _Optional[_Mapping[str, str]] = ...) -> None: ...

class DeleteInstanceRequest(_message.Message):
    __slots__ = ["allow_missing", "instance_id", "project_id", "wait"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    instance_id: str
    project_id: str
    wait: bool
    def __init__(self, project_id: _Optional[str] = ..., instance_id: _Optional[str] = ..., allow_missing: bool = ..., wait: bool = ...) -> None: ...

class DeleteInstanceResponse(_message.Message):
    __slots__ = ["instance_id"]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    def __init__(self, instance_id: _Optional[str] = ...) -> None: ...

class DockerImage(_message.Message):
    __slots__ = ["annotations", "image_name", "image_tag", "namespace"]
    class AnnotationsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ANNOTATIONS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_NAME_FIELD_NUMBER: _ClassVar[int]
    IMAGE_TAG_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    annotations: _containers.ScalarMap[str, str]
    image_name: str
    image_tag: str
    namespace: str
    def __init__(self, namespace: _Optional[str] = ..., image_name: _Optional[str] = ..., image_tag: _Optional[str] = ..., annotations: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ErrorBody(_message.Message):
    __slots__ = ["error_code", "error_message"]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    error_code: str
    error_message: str
    def __init__(self, error_code: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

class FailedReasons(_message.Message):
    __slots__ = ["code", "detail", "message"]
    class DetailEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CODE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: str
    detail: _containers.ScalarMap[str, str]
    message: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., detail: _Optional[_Mapping[str, str]] = ...) -> None: ...

class FlavorDetails(_message.Message):
    __slots__ = ["billing_flavor", "billing_params", "duration", "instance_num", "is_permitted", "name", "params", "promo_type", "queue_left_time", "queuing_num", "status", "storage_list", "store_time", "type"]
    BILLING_FLAVOR_FIELD_NUMBER: _ClassVar[int]
    BILLING_PARAMS_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_NUM_FIELD_NUMBER: _ClassVar[int]
    IS_PERMITTED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    PROMO_TYPE_FIELD_NUMBER: _ClassVar[int]
    QUEUE_LEFT_TIME_FIELD_NUMBER: _ClassVar[int]
    QUEUING_NUM_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_LIST_FIELD_NUMBER: _ClassVar[int]
    STORE_TIME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    billing_flavor: str
    billing_params: int
    duration: int
    instance_num: int
    is_permitted: bool
    name: str
    params: _struct_pb2.Struct
    promo_type: str
    queue_left_time: int
    queuing_num: int
    status: str
    storage_list: _containers.RepeatedScalarFieldContainer[str]
    store_time: int
    type: str
    def __init__(self, name: _Optional[str] = ..., status: _Optional[str] = ..., type: _Optional[str] = ..., is_permitted: bool = ..., params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., storage_list: _Optional[_Iterable[str]] = ..., promo_type: _Optional[str] = ..., queuing_num: _Optional[int] = ..., queue_left_time: _Optional[int] = ..., instance_num: _Optional[int] = ..., duration: _Optional[int] = ..., store_time: _Optional[int] = ..., billing_flavor: _Optional[str] = ..., billing_params: _Optional[int] = ...) -> None: ...

class GetInstanceRequest(_message.Message):
    __slots__ = ["instance_id", "project_id"]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    project_id: str
    def __init__(self, project_id: _Optional[str] = ..., instance_id: _Optional[str] = ...) -> None: ...

class GetInstanceResponse(_message.Message):
    __slots__ = ["instance"]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    instance: Instance
    def __init__(self, instance: _Optional[_Union[Instance, _Mapping]] = ...) -> None: ...

class Instance(_message.Message):
    __slots__ = ["ai_project", "creation_timestamp", "description", "error_code", "flavor", "flavor_details", "id", "latest_update_timestamp", "name", "pool", "profile", "queuing_info", "repository", "spec", "status", "user", "workspace"]
    AI_PROJECT_FIELD_NUMBER: _ClassVar[int]
    CREATION_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_DETAILS_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LATEST_UPDATE_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    QUEUING_INFO_FIELD_NUMBER: _ClassVar[int]
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    ai_project: AIProject
    creation_timestamp: str
    description: str
    error_code: str
    flavor: str
    flavor_details: FlavorDetails
    id: str
    latest_update_timestamp: str
    name: str
    pool: Pool
    profile: Profile
    queuing_info: QueuingInfo
    repository: Repository
    spec: NotebookSpec
    status: str
    user: User
    workspace: Workspace
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., status: _Optional[str] = ..., flavor: _Optional[str] = ..., creation_timestamp: _Optional[str] = ..., latest_update_timestamp: _Optional[str] = ..., profile: _Optional[_Union[Profile, _Mapping]] = ..., flavor_details: _Optional[_Union[FlavorDetails, _Mapping]] = ..., pool: _Optional[_Union[Pool, _Mapping]] = ..., spec: _Optional[_Union[NotebookSpec, _Mapping]] = ..., workspace: _Optional[_Union[Workspace, _Mapping]] = ..., ai_project: _Optional[_Union[AIProject, _Mapping]] = ..., error_code: _Optional[str] = ..., queuing_info: _Optional[_Union[QueuingInfo, _Mapping]] = ..., user: _Optional[_Union[User, _Mapping]] = ..., repository: _Optional[_Union[Repository, _Mapping]] = ...) -> None: ...

class ListInstancesRequest(_message.Message):
    __slots__ = ["ai_project", "de_type", "limit", "offset", "order", "page_size", "page_token", "pool_id", "project_id", "provision_type", "show_self", "sortby", "status", "workspace_id"]
    AI_PROJECT_FIELD_NUMBER: _ClassVar[int]
    DE_TYPE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PROVISION_TYPE_FIELD_NUMBER: _ClassVar[int]
    SHOW_SELF_FIELD_NUMBER: _ClassVar[int]
    SORTBY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ai_project: str
    de_type: str
    limit: int
    offset: int
    order: str
    page_size: int
    page_token: str
    pool_id: str
    project_id: str
    provision_type: str
    show_self: str
    sortby: str
    status: str
    workspace_id: str
    def __init__(self, project_id: _Optional[str] = ..., de_type: _Optional[str] = ..., provision_type: _Optional[str] = ..., status: _Optional[str] = ..., sortby: _Optional[str] = ..., order: _Optional[str] = ..., offset: _Optional[int] = ..., limit: _Optional[int] = ..., workspace_id: _Optional[str] = ..., show_self: _Optional[str] = ..., pool_id: _Optional[str] = ..., ai_project: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListInstancesResponse(_message.Message):
    __slots__ = ["instances", "next_page_token", "total_count"]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    instances: _containers.RepeatedCompositeFieldContainer[Instance]
    next_page_token: str
    total_count: int
    def __init__(self, total_count: _Optional[int] = ..., instances: _Optional[_Iterable[_Union[Instance, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class NotebookSpec(_message.Message):
    __slots__ = ["annotations", "auto_stop", "custom_script_path", "extend_params", "extend_storage", "failed_reasons", "log_path", "repository", "resource_reserved_timestamp", "storage"]
    class AnnotationsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ANNOTATIONS_FIELD_NUMBER: _ClassVar[int]
    AUTO_STOP_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_SCRIPT_PATH_FIELD_NUMBER: _ClassVar[int]
    EXTEND_PARAMS_FIELD_NUMBER: _ClassVar[int]
    EXTEND_STORAGE_FIELD_NUMBER: _ClassVar[int]
    FAILED_REASONS_FIELD_NUMBER: _ClassVar[int]
    LOG_PATH_FIELD_NUMBER: _ClassVar[int]
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_RESERVED_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    annotations: _containers.ScalarMap[str, str]
    auto_stop: AutoStop
    custom_script_path: str
    extend_params: _struct_pb2.Struct
    extend_storage: _containers.RepeatedCompositeFieldContainer[Storage]
    failed_reasons: FailedReasons
    log_path: str
    repository: Repository
    resource_reserved_timestamp: int
    storage: Storage
    def __init__(self, log_path: _Optional[str] = ..., custom_script_path: _Optional[str] = ..., storage: _Optional[_Union[Storage, _Mapping]] = ..., extend_storage: _Optional[_Iterable[_Union[Storage, _Mapping]]] = ..., repository: _Optional[_Union[Repository, _Mapping]] = ..., resource_reserved_timestamp: _Optional[int] = ..., auto_stop: _Optional[_Union[AutoStop, _Mapping]] = ..., failed_reasons: _Optional[_Union[FailedReasons, _Mapping]] = ..., annotations: _Optional[_Mapping[str, str]] = ..., extend_params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Pool(_message.Message):
    __slots__ = ["id", "name", "owner", "type"]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    owner: PoolOwner
    type: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., owner: _Optional[_Union[PoolOwner, _Mapping]] = ...) -> None: ...

class PoolOwner(_message.Message):
    __slots__ = ["project_id"]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    def __init__(self, project_id: _Optional[str] = ...) -> None: ...

class Profile(_message.Message):
    __slots__ = ["de_type", "description", "flavor_type", "id", "labels", "name", "provision"]
    class LabelsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DE_TYPE_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROVISION_FIELD_NUMBER: _ClassVar[int]
    de_type: str
    description: str
    flavor_type: str
    id: str
    labels: _containers.ScalarMap[str, str]
    name: str
    provision: Provision
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., de_type: _Optional[str] = ..., flavor_type: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., provision: _Optional[_Union[Provision, _Mapping]] = ...) -> None: ...

class Provision(_message.Message):
    __slots__ = ["annotations", "spec", "type"]
    class AnnotationsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ANNOTATIONS_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    annotations: _containers.ScalarMap[str, str]
    spec: ProvisionSpec
    type: str
    def __init__(self, type: _Optional[str] = ..., annotations: _Optional[_Mapping[str, str]] = ..., spec: _Optional[_Union[ProvisionSpec, _Mapping]] = ...) -> None: ...

class ProvisionSpec(_message.Message):
    __slots__ = ["engine", "params"]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    engine: str
    params: DockerImage
    def __init__(self, engine: _Optional[str] = ..., params: _Optional[_Union[DockerImage, _Mapping]] = ...) -> None: ...

class QueuingInfo(_message.Message):
    __slots__ = ["begin_timestamp", "de_type", "end_timestamp", "flavor", "flavor_details", "id", "name", "rank", "remain_time", "status"]
    BEGIN_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    DE_TYPE_FIELD_NUMBER: _ClassVar[int]
    END_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_DETAILS_FIELD_NUMBER: _ClassVar[int]
    FLAVOR_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    REMAIN_TIME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    begin_timestamp: int
    de_type: str
    end_timestamp: int
    flavor: str
    flavor_details: FlavorDetails
    id: str
    name: str
    rank: int
    remain_time: int
    status: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., de_type: _Optional[str] = ..., flavor: _Optional[str] = ..., flavor_details: _Optional[_Union[FlavorDetails, _Mapping]] = ..., status: _Optional[str] = ..., begin_timestamp: _Optional[int] = ..., end_timestamp: _Optional[int] = ..., remain_time: _Optional[int] = ..., rank: _Optional[int] = ...) -> None: ...

class Repository(_message.Message):
    __slots__ = ["branch", "connection_info", "id", "type", "user_email", "user_name"]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_INFO_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    USER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    USER_NAME_FIELD_NUMBER: _ClassVar[int]
    branch: str
    connection_info: ConnectionInfo
    id: str
    type: str
    user_email: str
    user_name: str
    def __init__(self, id: _Optional[str] = ..., branch: _Optional[str] = ..., user_name: _Optional[str] = ..., user_email: _Optional[str] = ..., type: _Optional[str] = ..., connection_info: _Optional[_Union[ConnectionInfo, _Mapping]] = ...) -> None: ...

class StartInstanceRequest(_message.Message):
    __slots__ = ["instance_id", "project_id", "wait"]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    project_id: str
    wait: bool
    def __init__(self, project_id: _Optional[str] = ..., instance_id: _Optional[str] = ..., wait: bool = ...) -> None: ...

class StartInstanceResponse(_message.Message):
    __slots__ = ["current_status", "instance", "previous_state"]
    CURRENT_STATUS_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATE_FIELD_NUMBER: _ClassVar[int]
    current_status: str
    instance: Instance
    previous_state: str
    def __init__(self, current_status: _Optional[str] = ..., previous_state: _Optional[str] = ..., instance: _Optional[_Union[Instance, _Mapping]] = ...) -> None: ...

class StopInstanceRequest(_message.Message):
    __slots__ = ["instance_id", "project_id", "wait"]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    project_id: str
    wait: bool
    def __init__(self, project_id: _Optional[str] = ..., instance_id: _Optional[str] = ..., wait: bool = ...) -> None: ...

class StopInstanceResponse(_message.Message):
    __slots__ = ["current_status", "instance", "previous_state"]
    CURRENT_STATUS_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATE_FIELD_NUMBER: _ClassVar[int]
    current_status: str
    instance: Instance
    previous_state: str
    def __init__(self, current_status: _Optional[str] = ..., previous_state: _Optional[str] = ..., instance: _Optional[_Union[Instance, _Mapping]] = ...) -> None: ...

class Storage(_message.Message):
    __slots__ = ["location", "type"]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    location: StorageLocation
    type: str
    def __init__(self, type: _Optional[str] = ..., location: _Optional[_Union[StorageLocation, _Mapping]] = ...) -> None: ...

class StorageLocation(_message.Message):
    __slots__ = ["path", "volume_size", "volume_unit"]
    PATH_FIELD_NUMBER: _ClassVar[int]
    VOLUME_SIZE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_UNIT_FIELD_NUMBER: _ClassVar[int]
    path: str
    volume_size: int
    volume_unit: str
    def __init__(self, path: _Optional[str] = ..., volume_size: _Optional[int] = ..., volume_unit: _Optional[str] = ...) -> None: ...

class UpdateInstanceRequest(_message.Message):
    __slots__ = ["description", "instance_id", "project_id", "spec"]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    description: str
    instance_id: str
    project_id: str
    spec: UpdateInstanceSpec
    def __init__(self, project_id: _Optional[str] = ..., instance_id: _Optional[str] = ..., description: _Optional[str] = ..., spec: _Optional[_Union[UpdateInstanceSpec, _Mapping]] = ...) -> None: ...

class UpdateInstanceResponse(_message.Message):
    __slots__ = ["instance"]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    instance: Instance
    def __init__(self, instance: _Optional[_Union[Instance, _Mapping]] = ...) -> None: ...

class UpdateInstanceSpec(_message.Message):
    __slots__ = ["auto_stop"]
    AUTO_STOP_FIELD_NUMBER: _ClassVar[int]
    auto_stop: AutoStop
    def __init__(self, auto_stop: _Optional[_Union[AutoStop, _Mapping]] = ...) -> None: ...

class User(_message.Message):
    __slots__ = ["id", "name"]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class WatchInstancesRequest(_message.Message):
    __slots__ = ["project_id", "resume_token", "status", "workspace_id"]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    resume_token: str
    status: str
    workspace_id: str
    def __init__(self, project_id: _Optional[str] = ..., status: _Optional[str] = ..., workspace_id: _Optional[str] = ..., resume_token: _Optional[str] = ...) -> None: ...

class WatchInstancesResponse(_message.Message):
    __slots__ = ["instance", "resume_token", "type"]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    instance: Instance
    resume_token: str
    type: _watch_pb2.EventType
    def __init__(self, type: _Optional[_Union[_watch_pb2.EventType, str]] = ..., instance: _Optional[_Union[Instance, _Mapping]] = ..., resume_token: _Optional[str] = ...) -> None: ...

class Workspace(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...
