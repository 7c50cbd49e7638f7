package calls

// TransferTarget exposes the transfer check to the package's tests.
var TransferTarget = (*Service).transferTarget
