"""Changes what one of the CDK's component factories builds, for the source that asks and for its parent streams.

Why a hook at all: the declarative runtime gives no way to choose the class of a component it builds (a retriever,
an authenticator) or to share one between streams. Why this shape: the CDK builds one factory per source, and
later, inside `create_parent_stream_config_with_substream_wrapper`, one more per parent stream (employments' list
of persons, breakdowns' absences), handing on nothing of the source's factory but its `_rate_limited_authenticators`
dict. So the factory method is wrapped on the class (the parents' factories do not exist yet), and the wrap acts
only for a factory whose dict holds the hook's key: factories of other sources in the process (the Connector
Builder's, `source-declarative-manifest`'s) build exactly as the CDK does.

CDK internals relied on (pinned by unit_tests/cdk_internals/test_factory_hooks.py): `ModelToComponentFactory`
keeps `_rate_limited_authenticators` (a dict) and hands that same dict to its parent streams' factories; each
factory binds its `create_*` methods in `PYDANTIC_MODEL_TO_CONSTRUCTOR` when it is created.
"""
import inspect
import threading
from typing import Any, Callable, Dict

from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory

# What a hook does to a component its factory built: (component, the value kept under its key) -> component.
Rebuild = Callable[[Any, Any], Any]

CDK_METHODS: Dict[str, Callable[..., Any]] = {}  # method name -> the CDK's own method, before any wrap
_hooks: Dict[str, Dict[str, Rebuild]] = {}  # method name -> {key: rebuild}
_lock = threading.Lock()


def hook(
    factory: ModelToComponentFactory, model: type, method: str, key: str, rebuild: Rebuild, value: Any = True
) -> None:
    """From now on, each component `factory` (and its parent streams' factories) builds with `method` for `model` is
    passed through `rebuild(component, value)`, `value` being what `factory` keeps under `key`."""
    if isinstance(inspect.getattr_static(ModelToComponentFactory, method), staticmethod):
        raise TypeError(f"{method} is a static method: it is not given the factory whose mark decides")
    with _lock:
        if method not in CDK_METHODS:
            CDK_METHODS[method] = getattr(ModelToComponentFactory, method)
            setattr(ModelToComponentFactory, method, _wrapped(method))
        _hooks.setdefault(method, {})[key] = rebuild
    factory._rate_limited_authenticators.setdefault(key, value)  # type: ignore[arg-type]
    # The factory bound the CDK's method when it was created; the parents' factories, created later, bind the wrap.
    factory.PYDANTIC_MODEL_TO_CONSTRUCTOR[model] = getattr(factory, method)  # type: ignore[index]


def cdk_method(method: str) -> Callable[..., Any]:
    """The CDK's own `ModelToComponentFactory.<method>`, wrapped or not."""
    return CDK_METHODS.get(method) or getattr(ModelToComponentFactory, method)


def _wrapped(method: str) -> Callable[..., Any]:
    cdk_method = CDK_METHODS[method]

    def create(factory: ModelToComponentFactory, *args: Any, **kwargs: Any) -> Any:
        component = cdk_method(factory, *args, **kwargs)
        marks = factory._rate_limited_authenticators
        for key, rebuild in list(_hooks[method].items()):
            if key in marks:
                component = rebuild(component, marks[key])
        return component

    create.__name__ = method
    return create
