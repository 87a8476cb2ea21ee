"""The page shell: navigation, shared templates, list and detail pages, the home dashboard."""
