"""`python -m services.bridge`: run the bridge service until SIGTERM."""

from services.bridge.service import main
from shared.runtime import main_entry

if __name__ == "__main__":
    main_entry("bridge", main)
