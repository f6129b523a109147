"""Circuit builders: each compiles a learning task into a :class:`~sbmlcrn.core.network.Network`."""
