from adapters.odoo.adapter import OdooAdapter
from adapters.odoo.transports import Json2Transport, JsonRpcTransport, OdooTransport

__all__ = ["Json2Transport", "JsonRpcTransport", "OdooAdapter", "OdooTransport"]
