"""Connect's API error model: `{code, error, payload}` bodies with the table's HTTP status."""

from __future__ import annotations

# Default messages and statuses from connect-api.md §14 (Connect 2023.09 table);
# only the codes the emulator can produce are listed.
MESSAGES: dict[int, tuple[int, str]] = {
    1: (500, "An internal failure occurred."),
    3: (400, "The requested object ID is invalid."),
    4: (404, "The requested object does not exist."),
    2: (404, "The requested method or endpoint is not supported."),
    5: (400, "Application name must be between 3 and 64 alphanumeric characters, "
              "dashes, and underscores."),
    9: (404, "The requested user could not be found."),
    13: (400, "The requested range is invalid."),
    22: (403, "You don't have permission to perform this operation."),
    24: (401, "The requested operation requires authentication."),
    25: (400, "The parameter is invalid."),
    26: (409, "An object with that name already exists."),
    28: (404, "No application bundle to deploy."),
    30: (401, "We couldn't log you in with the provided credentials. "
              "Please ask your administrator for assistance."),
    33: (403, "This user cannot be added as a collaborator because they don't have permission "
              "to publish content."),
    34: (400, "The application's owner cannot be added as a collaborator or viewer."),
    38: (400, "The application's manifest is invalid or missing."),
    48: (403, "You cannot change the type of application once deployed. Try deploying this "
              "as a new application instead of updating an existing one."),
    50: (403, "This user is locked."),
    51: (409, "Vanity path conflicts with one or more already in use."),
    52: (400, "Vanity path is not permitted."),
    53: (400, "Immutable field cannot be changed."),
    66: (400, "You cannot assign ownership to another user."),
    75: (400, "You may not delete the active bundle for an application"),
    77: (400, "A tag name cannot be more than 255 characters"),
    78: (400, "A tag must have a name"),
    79: (400, "Cannot assign a category to an app"),
    81: (400, "Duplicate names are not permitted; a sibling tag or category already has this "
              "name"),
    82: (400, "The bundle for deployment must belong to the target application."),
    87: (400, "The request body cannot be parsed"),
    88: (400, "Cannot apply the requested change because it would make the target object an "
              "ancestor of itself."),
    104: (400, "The content checksum header and body MD5 sum are not equal."),
    113: (400, "Invalid MaxProcesses setting. The MaxProcesses setting may not exceed the "
               "Scheduler.MaxProcessesLimit setting."),
    114: (400, "Invalid MinProcesses setting. The MinProcesses setting may not exceed the "
               "MaxProcesses setting."),
    117: (400, "Unknown access type."),
    121: (400, "The request JSON is invalid."),
    122: (400, "Application title must be between 3 and 1024 characters."),
    123: (400, "Application description must be 4096 characters or less."),
    125: (400, "Content-Length cannot be 0."),
    135: (400, "Unable to extract the bundle."),
    149: (409, "Environment changes contain a duplicated variable name."),
    150: (400, "The load factor must be between 0.0 and 1.0."),
    151: (400, "The timeout must be between 0 and 2592000 seconds."),
    152: (400, "The principal type must be 'user' or 'group'."),
    153: (404, "The requested group could not be found."),
    154: (409, "The requested user is already in the content permission list."),
    155: (409, "The requested group is already in the content permission list."),
    156: (403, "This user cannot be assigned as the owner because they don't have permission "
               "to publish content."),
    157: (400, "The requested parent tag does not exist"),
    158: (400, "The requested tag does not exist"),
    161: (400, "The include option specified is not valid"),
    181: (400, "Invalid MemoryRequest setting. The MemoryRequest setting cannot be less than 0 "
               "or greater than 9007198180999168."),
    183: (400, "Invalid MemoryLimit setting. The MemoryLimit setting cannot be less than 0 "
               "or greater than 9007198180999168."),
    186: (400, "Invalid CPURequest setting. The CPURequest setting must be a positive number."),
    188: (400, "Invalid CPULimit setting. The CPULimit setting must be a positive number."),
    191: (400, "Invalid MinProcesses setting. The MinProcesses setting must be a positive number."),
    192: (400, "Invalid MaxProcesses setting. The MaxProcesses setting must be a positive number."),
}


class ApiError(Exception):
    """An error answered as Connect's JSON error body."""

    def __init__(self, code: int, message: str | None = None, status: int | None = None) -> None:
        default_status, default_message = MESSAGES.get(code, (500, "An internal failure occurred."))
        self.code = code
        self.status = status if status is not None else default_status
        self.message = message if message is not None else default_message
        super().__init__(f"{self.status} code {code}: {self.message}")

    def body(self) -> dict[str, object]:
        return {"code": self.code, "error": self.message, "payload": None}


class NoRoute(Exception):
    """The route does not exist on this server version: answered like the router's own 404."""
