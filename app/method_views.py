"""A view is a function or a MethodView (one class per URL, a method per HTTP method); what a
decorator adds to a view it adds to each method of a MethodView, as flask-smorest's own do."""

from flask.views import MethodView


def is_method_view(view) -> bool:
    """Whether a route's view is a MethodView class rather than a function."""
    return isinstance(view, type) and issubclass(view, MethodView)


def for_each_method(decorator, view):
    """`decorator` applied to a view function, or to each HTTP method of a MethodView (as
    flask-smorest's own decorators do), so that what a URL's methods share is said once."""
    if not is_method_view(view):
        return decorator(view)
    for method in view.methods:
        setattr(view, method.lower(), decorator(getattr(view, method.lower())))
    return view
