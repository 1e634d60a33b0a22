"""Market oversight: a faust app that watches the event streams — price corridors across linked markets,
position publication, purchases per period and surveillance alerts. Derived state only, rebuilt from the topics."""
