"""cpdcore: the engine behind teachers' continuing professional development and appraisal.

Start with :meth:`Cpd.open`::

    from cpdcore import Actor, Cpd

    cpd = Cpd.open("memory://")
    admin = cpd.as_actor(Actor.system("trust-1", "set-up"))
    admin.set_up_trust("Northern Lights Trust")
"""

from cpdcore.__about__ import __version__
from cpdcore.app import ActingCpd, Cpd
from cpdcore.domain.actors import Actor
from cpdcore.domain.organisation import Role, RoleAssignment
from cpdcore.errors import (
    ConcurrencyConflict,
    ConfigurationError,
    ConsentRequired,
    CpdError,
    NotFound,
    PermissionDenied,
    PluginNotFound,
    ValidationError,
)

__all__ = [
    "ActingCpd",
    "Actor",
    "ConcurrencyConflict",
    "ConfigurationError",
    "ConsentRequired",
    "Cpd",
    "CpdError",
    "NotFound",
    "PermissionDenied",
    "PluginNotFound",
    "Role",
    "RoleAssignment",
    "ValidationError",
    "__version__",
]
