from commerce_gateway.adapters.odoo.adapter import OdooAdapter
from commerce_gateway.adapters.odoo.transports import Json2Transport, JsonRpcTransport, OdooTransport

__all__ = ["Json2Transport", "JsonRpcTransport", "OdooAdapter", "OdooTransport"]
