"""Review loop: a local browser app where a researcher accepts, rejects or recodes suggestions."""
