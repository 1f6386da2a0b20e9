"""source_personio/factory_hooks.py: which factories a hook reaches, and the CDK internals that rests on. A CDK
upgrade that changes one fails here, naming what to revisit, instead of silently building plain retrievers and one
token per stream again (pagination_guard.py and shared_token.py hook through it)."""
import inspect

from airbyte_cdk.sources.declarative.models.declarative_component_schema import Spec as SpecModel
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory

from source_personio.factory_hooks import cdk_method, hook

REVISIT = "CDK changed: revisit source_personio/factory_hooks.py (what the installed source adds to the manifest): "
SPEC = {"type": "Spec", "connection_specification": {"type": "object"}}


def _tagged(spec, tag):
    spec.tag = tag
    return spec


def test_a_hooked_factory_passes_what_it_builds_through_the_hook_with_the_value_it_keeps():
    factory = ModelToComponentFactory()
    hook(factory, SpecModel, "create_spec", "test.factory_hooks", _tagged, value="mine")

    built = factory.create_component(SpecModel, SPEC, {})

    assert built.tag == "mine" and built.connection_specification == {"type": "object"}


def test_a_factory_made_from_the_hooked_ones_dict_is_hooked_and_any_other_is_not():
    factory = ModelToComponentFactory()
    hook(factory, SpecModel, "create_spec", "test.factory_hooks", _tagged, value="mine")
    # what the CDK does for a parent stream: a new factory handed the same dict
    parents = ModelToComponentFactory(rate_limited_authenticators=factory._rate_limited_authenticators)

    assert parents.create_component(SpecModel, SPEC, {}).tag == "mine"
    assert not hasattr(ModelToComponentFactory().create_component(SpecModel, SPEC, {}), "tag")


def test_the_factory_binds_its_create_methods_when_it_is_created():
    constructor = ModelToComponentFactory().PYDANTIC_MODEL_TO_CONSTRUCTOR.get(SpecModel)
    assert isinstance(ModelToComponentFactory().PYDANTIC_MODEL_TO_CONSTRUCTOR, dict), (
        REVISIT + "PYDANTIC_MODEL_TO_CONSTRUCTOR is no longer a dict to rebind a constructor in")
    assert getattr(constructor, "__name__", None) == "create_spec", (
        REVISIT + "a factory no longer binds its create_* methods in PYDANTIC_MODEL_TO_CONSTRUCTOR")
    assert list(inspect.signature(cdk_method("create_spec")).parameters)[:2] == ["self", "model"]


def test_the_factory_of_a_parent_stream_gets_the_factorys_dict_of_shared_authenticators():
    marks = {}
    assert ModelToComponentFactory(rate_limited_authenticators=marks)._rate_limited_authenticators is marks, (
        REVISIT + "ModelToComponentFactory no longer keeps the rate_limited_authenticators dict it is given")
    assert isinstance(ModelToComponentFactory()._rate_limited_authenticators, dict), (
        REVISIT + "ModelToComponentFactory._rate_limited_authenticators is gone or no longer a dict")
    wrapper = inspect.getsource(ModelToComponentFactory.create_parent_stream_config_with_substream_wrapper)
    shared = "rate_limited_authenticators=self._rate_limited_authenticators"
    assert "ModelToComponentFactory(" in wrapper and shared in wrapper, (
        REVISIT + "a parent stream's factory no longer shares the dict: parents would read unguarded, with own tokens")
